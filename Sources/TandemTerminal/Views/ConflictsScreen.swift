import TandemCore

/// Entries whose versions disagree: this device's and the others' side by
/// side, labelled by whose they are, with what each key will do.
struct ConflictsScreen {
    var theme: Theme

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        let rows = state.rows
        let listWidth = max(28, rect.width / 4)
        ListDrawing.title(&grid, "Conflicts (\(rows.count))", x: 1, y: rect.y, width: listWidth - 2, style: theme.title)
        guard let snapshot = state.snapshot, !rows.isEmpty else {
            grid.put("no conflicts", x: 1, y: rect.y + 2, style: theme.dim)
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
        let first = entry.unseen.first.map { snapshot.name($0.origin) } ?? "the vault"
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
            right.append(("\(snapshot.name(version.origin)), \(snapshot.age(version.timestamp.wallMillis))", theme.title))
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
        let help = "m  keeps \(me)'s value on every device     t  takes \(first)'s value on every device     e  merge in $EDITOR"
        grid.put(help, x: x, y: rect.y + rect.height - 1, maxWidth: rect.width - x - 1, style: theme.dim)
    }
}
