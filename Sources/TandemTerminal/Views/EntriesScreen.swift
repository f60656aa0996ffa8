import TandemCore

/// Contexts on the left, the entries of the chosen one in the middle, the
/// selected entry's details on the right.
struct EntriesScreen {
    var theme: Theme

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        let contextsWidth = 22
        // The details pane shows only where it has room to be read; else
        // the list takes it, and Enter shows the whole value.
        let withDetail = (rect.width - contextsWidth) / 2 >= 36
        let listWidth = withDetail ? (rect.width - contextsWidth) / 2 : rect.width - contextsWidth
        let detailX = contextsWidth + listWidth + 1
        let names = state.contextNames
        // The pane with the cursor is the one whose title is lit and pointed at.
        let focused = { (pane: Pane) in state.focus == pane ? theme.activeTab : theme.dim }
        ListDrawing.title(&grid, (state.focus == .contexts ? "▸ " : "  ") + "Contexts", x: 0, y: rect.y, width: contextsWidth - 1, style: focused(.contexts))
        ListDrawing.draw(&grid, Rect(x: 0, y: rect.y + 1, width: contextsWidth - 1, height: rect.height - 1), count: names.count,
                         selected: state.contextIndex, selectedStyle: state.focus == .contexts ? theme.selected : theme.dim) { grid, index, y, selected in
            let summary = state.snapshot?.contexts.first { $0.name == names[index] }
            let count = index == 0 ? state.snapshot?.rows.count ?? 0 : summary?.entries ?? 0
            grid.put(" \(names[index])", x: 0, y: y, maxWidth: contextsWidth - 7, style: selected && state.focus == .contexts ? theme.selected : .plain)
            grid.put(String(count), x: contextsWidth - 6, y: y, maxWidth: 5, style: theme.dim)
        }
        let rows = state.rows
        let heading = (state.focus == .entries ? "▸ " : "  ") + ListDrawing.heading("Entries", count: rows.count, state)
        ListDrawing.title(&grid, heading, x: contextsWidth, y: rect.y, width: listWidth - 1, style: focused(.entries))
        if rows.isEmpty {
            grid.put(state.snapshot == nil ? "loading…" : state.filter.isEmpty ? "no entries" : "none match (Esc clears the filter)",
                     x: contextsWidth + 1, y: rect.y + 2, style: theme.dim)
        }
        ListDrawing.draw(&grid, Rect(x: contextsWidth, y: rect.y + 1, width: listWidth, height: rect.height - 1), count: rows.count,
                         selected: state.selectedIndex, selectedStyle: state.focus == .entries ? theme.selected : theme.dim) { grid, index, y, selected in
            let entry = rows[index]
            let style = selected && state.focus == .entries ? theme.selected : .plain
            grid.put(entry.state.mark, x: contextsWidth + 1, y: y, style: selected ? style : theme.mark(entry.state))
            let label = state.selectedContext == nil ? "\(entry.context)/\(entry.key)" : entry.key
            // The name tells rows apart: it keeps the room, the value's start gets what is left.
            let used = grid.put(label, x: contextsWidth + 3, y: y, maxWidth: listWidth - 4, style: style)
            if listWidth - used - 5 >= 4 {
                grid.put(entry.preview ?? "(deleted)", x: contextsWidth + 4 + used, y: y, maxWidth: listWidth - used - 5, style: selected ? style : theme.dim)
            }
        }
        if withDetail, let entry = state.selectedDetail, let snapshot = state.snapshot {
            EntryDetail(theme: theme).draw(&grid, Rect(x: detailX, y: rect.y, width: rect.width - detailX - 1, height: rect.height), entry, snapshot)
        }
    }
}

/// The details of one entry: state, value, versions.
struct EntryDetail {
    var theme: Theme

    func draw(_ grid: inout Grid, _ rect: Rect, _ entry: EntryStatus, _ snapshot: Snapshot) {
        var lines: [(String, Style)] = [("\(entry.context)/\(entry.key)", theme.title),
                                        ("\(entry.state.mark) \(entry.state.rawValue)", theme.mark(entry.state))]
        if let schema = entry.newerSchema {
            lines.append(("written with schema \(schema), newer than this app knows: kept untouched", theme.mark(.conflict)))
        }
        if let local = entry.local {
            lines.append(("here: \(snapshot.label(local.origin)), \(snapshot.age(local.timestamp.wallMillis))", theme.dim))
            lines.append(("vector: \(vectorText(local.vector, snapshot))", theme.dim))
        } else {
            lines.append(("not on this device", theme.dim))
        }
        lines.append(("", .plain))
        lines += valueLines(entry.local?.value, absent: entry.local == nil ? "(absent)" : "(deleted)").map { ($0, .plain) }
        for version in entry.unseen {
            lines.append(("", .plain))
            lines.append(("from \(snapshot.label(version.origin)), \(snapshot.age(version.timestamp.wallMillis)):", theme.title))
            lines += valueLines(version.value).map { ($0, theme.added) }
        }
        ListDrawing.text(&grid, lines, x: rect.x, y: rect.y, width: rect.width, height: rect.height)
    }

    private func vectorText(_ vector: VersionVector, _ snapshot: Snapshot) -> String {
        vector.sorted.map { "\(snapshot.name($0.device)):\($0.counter)" }.joined(separator: " ")
    }
}
