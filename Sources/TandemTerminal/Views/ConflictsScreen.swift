import TandemCore

/// Entries whose versions disagree: this device's and the others' side by
/// side (stacked, under the list, when the terminal is narrow), labelled by
/// whose they are, with what each key will do.
struct ConflictsScreen {
    var theme: Theme
    /// Below this width the versions go under the list, one under another.
    static let sideBySideWidth = 100

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        let rows = state.rows
        let stacked = rect.width < Self.sideBySideWidth
        let listWidth = stacked ? rect.width : max(28, rect.width / 4)
        let listHeight = stacked ? min(rows.count + 1, max(2, rect.height / 4)) : rect.height
        ListDrawing.title(&grid, ListDrawing.heading("Conflicts", count: rows.count, state), x: 1, y: rect.y, width: listWidth - 2, style: theme.title)
        guard let snapshot = state.snapshot, !rows.isEmpty else {
            grid.put(state.filter.isEmpty ? "no conflicts" : "none match (Esc clears the filter)", x: 1, y: rect.y + 2, style: theme.dim)
            return
        }
        ListDrawing.draw(&grid, Rect(x: 0, y: rect.y + 1, width: listWidth, height: listHeight - 1), count: rows.count,
                         selected: state.selectedIndex, selectedStyle: theme.selected) { grid, index, y, selected in
            grid.put("⚠ \(rows[index].context)/\(rows[index].key)", x: 1, y: y, maxWidth: listWidth - 2,
                     style: selected ? theme.selected : theme.mark(.conflict))
        }
        guard let entry = state.selectedDetail else { return }
        let versions = Rect(x: stacked ? 1 : listWidth + 1, y: stacked ? rect.y + listHeight + 1 : rect.y, width: 0, height: 0)
        let area = Rect(x: versions.x, y: versions.y, width: rect.width - versions.x - 1, height: rect.y + rect.height - versions.y)
        draw(&grid, area, entry, snapshot, state, stacked: stacked)
    }

    private func draw(_ grid: inout Grid, _ area: Rect, _ entry: EntryStatus, _ snapshot: Snapshot, _ state: AppState, stacked: Bool) {
        let me = snapshot.device
        let mine = entry.local
        let chosenIndex = entry.unseen.isEmpty ? 0 : state.conflictVersion % entry.unseen.count
        let label = VersionLabels(entry.unseen, snapshot)
        // The key that takes a version names whose it is and when it was written.
        let chosen = entry.unseen.isEmpty ? "the vault's"
            : "\(label[chosenIndex])'s, \(snapshot.age(entry.unseen[chosenIndex].timestamp.wallMillis))"
        let leftLines = valueLines(mine?.value, absent: "(absent)")
        // Each other version under the one before, labelled by whose it is;
        // lines that differ from this device's are marked on both sides.
        var others: [(String, Style)] = []
        var differing = Set<String>()
        for (index, version) in entry.unseen.enumerated() {
            if index > 0 { others.append(("", .plain)) }
            let marker = entry.unseen.count > 1 ? (index == chosenIndex ? "▸ " : "  ") : ""
            others.append(("\(marker)\(label[index]), \(snapshot.age(version.timestamp.wallMillis))",
                           index == chosenIndex && entry.unseen.count > 1 ? theme.selected : theme.title))
            let lines = valueLines(version.value)
            let diff = lineDiff(leftLines, lines)
            differing.formUnion(diff.filter { $0.1 < 0 }.map { String($0.0.dropFirst(2)) })
            let added = Set(diff.filter { $0.1 > 0 }.map { String($0.0.dropFirst(2)) })
            others += lines.map { ($0, added.contains($0) ? theme.added : .plain) }
        }
        let heading = ("\(me) — this device" + (mine.map { ", \(snapshot.age($0.timestamp.wallMillis))" } ?? ""), theme.title)
        let mineLines = [heading] + leftLines.map { ($0, differing.contains($0) ? theme.removed : Style.plain) }
        let choose = entry.unseen.count > 1 ? " (\(chosenIndex + 1) of \(entry.unseen.count); [ ] choose)" : ""
        let hints = ["m keeps \(me)'s value everywhere", "t takes \(chosen)\(choose)", "e merges all in $EDITOR"]
        // The keys' line on one row when it fits, else one row each.
        let oneLine = hints.joined(separator: " · ")
        let hintLines = CellWidth.of(oneLine) <= area.width ? [oneLine] : hints
        let room = area.height - hintLines.count - 1
        if stacked {
            ListDrawing.text(&grid, mineLines + [("", .plain)] + others, x: area.x, y: area.y, width: area.width, height: room)
        } else {
            let column = (area.width - 2) / 2
            ListDrawing.text(&grid, mineLines, x: area.x, y: area.y, width: column, height: room)
            ListDrawing.text(&grid, others, x: area.x + column + 2, y: area.y, width: column, height: room)
        }
        ListDrawing.text(&grid, hintLines.map { ($0, theme.dim) }, x: area.x, y: area.y + area.height - hintLines.count, width: area.width,
                         height: hintLines.count)
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
