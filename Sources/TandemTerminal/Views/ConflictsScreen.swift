import TandemCore

/// Entries whose versions disagree: this device's and the others' side by
/// side, labelled by whose they are, with what each key will do.
struct ConflictsScreen {
    var theme: Theme

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        let rows = state.rows
        let listWidth = max(28, rect.width / 4)
        ListDrawing.title(&grid, ListDrawing.heading("Conflicts", count: rows.count, state), x: 1, y: rect.y, width: listWidth - 2, style: theme.title)
        guard let snapshot = state.snapshot, !rows.isEmpty else {
            grid.put(state.filter.isEmpty ? "no conflicts" : "none match (Esc clears the filter)", x: 1, y: rect.y + 2, style: theme.dim)
            return
        }
        ListDrawing.draw(&grid, Rect(x: 0, y: rect.y + 1, width: listWidth, height: rect.height - 1), count: rows.count,
                         selected: state.selectedIndex, selectedStyle: theme.selected) { grid, index, y, selected in
            grid.put("⚠ \(rows[index].context)/\(rows[index].key)", x: 1, y: y, maxWidth: listWidth - 2,
                     style: selected ? theme.selected : theme.mark(.conflict))
        }
        guard let entry = state.selectedDetail else { return }
        let x = listWidth + 1
        let column = (rect.width - x - 3) / 2
        let mine = entry.local
        let me = snapshot.device
        let chosenIndex = entry.unseen.isEmpty ? 0 : state.conflictVersion % entry.unseen.count
        let label = VersionLabels(entry.unseen, snapshot)
        let chosen = entry.unseen.isEmpty ? "the vault" : label[chosenIndex]
        let left = "\(me) — this device" + (mine.map { ", \(snapshot.age($0.timestamp.wallMillis))" } ?? "")
        grid.put(left, x: x, y: rect.y, maxWidth: column, style: theme.title)
        let leftLines = valueLines(mine?.value, absent: "(absent)")
        let room = rect.height - 3
        // Each other version under the one before, labelled by whose it is;
        // lines that differ from this device's are marked on both sides.
        var right: [(String, Style)] = []
        var differing = Set<String>()
        for (index, version) in entry.unseen.enumerated() {
            if index > 0 { right.append(("", .plain)) }
            let marker = entry.unseen.count > 1 ? (index == chosenIndex ? "▸ " : "  ") : ""
            right.append(("\(marker)\(label[index]), \(snapshot.age(version.timestamp.wallMillis))",
                          index == chosenIndex && entry.unseen.count > 1 ? theme.selected : theme.title))
            let lines = valueLines(version.value)
            let diff = lineDiff(leftLines, lines)
            differing.formUnion(diff.filter { $0.1 < 0 }.map { String($0.0.dropFirst(2)) })
            let added = Set(diff.filter { $0.1 > 0 }.map { String($0.0.dropFirst(2)) })
            right += lines.map { ($0, added.contains($0) ? theme.added : .plain) }
        }
        for (index, line) in leftLines.prefix(room - 1).enumerated() {
            grid.put(line, x: x, y: rect.y + 1 + index, maxWidth: column, style: differing.contains(line) ? theme.removed : .plain)
        }
        ListDrawing.text(&grid, right, x: x + column + 2, y: rect.y, width: column, height: room)
        let choose = entry.unseen.count > 1 ? " (\(chosenIndex + 1) of \(entry.unseen.count); [ ] choose)" : ""
        let help = "m keeps \(me)'s value everywhere · t takes \(chosen)'s\(choose) · e merges all in $EDITOR"
        grid.put(help, x: x, y: rect.y + rect.height - 1, maxWidth: rect.width - x - 1, style: theme.dim)
    }
}

/// Names for a conflict's versions: the device's, and where one device
/// wrote two of them, its counter too, so that no two labels are the same.
struct VersionLabels {
    private let labels: [String]

    init(_ versions: [EntryVersion], _ snapshot: Snapshot) {
        let names = versions.map { snapshot.name($0.origin) }
        labels = zip(versions, names).map { version, name in
            names.filter { $0 == name }.count > 1 ? "\(name) #\(version.vector[version.origin])" : name
        }
    }

    subscript(index: Int) -> String { labels[index] }
}
