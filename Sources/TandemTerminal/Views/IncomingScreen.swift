import TandemCore

/// Each change another device made that waits here, with a diff, and what
/// each key will do before it is pressed.
struct IncomingScreen {
    var theme: Theme

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        let rows = state.rows
        // Narrow, the diff goes under the list, at the full width.
        let stacked = rect.width < ConflictsScreen.sideBySideWidth
        let listWidth = stacked ? rect.width : max(40, rect.width * 2 / 5)
        let listHeight = stacked ? min(rows.count + 1, max(2, rect.height / 3)) : rect.height
        ListDrawing.title(&grid, ListDrawing.heading("Incoming changes", count: rows.count, state), x: 1, y: rect.y, width: listWidth - 2, style: theme.title)
        guard let snapshot = state.snapshot, !rows.isEmpty else {
            grid.put(state.filter.isEmpty ? "nothing waits for a decision" : "none match (Esc clears the filter)", x: 1, y: rect.y + 2, style: theme.dim)
            return
        }
        ListDrawing.draw(&grid, Rect(x: 0, y: rect.y + 1, width: listWidth, height: listHeight - 1), count: rows.count,
                         selected: state.selectedIndex, selectedStyle: theme.selected) { grid, index, y, selected in
            let entry = rows[index]
            // The key is what tells rows apart: where the row does not fit,
            // the kind becomes a sign (+ insert, ~ edit, − deletion) and the
            // time loses its "ago", so the key keeps the room.
            let fullFrom = entry.origin.map { snapshot.name($0) + (entry.wallMillis.map { " · " + snapshot.age($0) } ?? "") } ?? ""
            let narrow = 12 + CellWidth.of("\(entry.context)/\(entry.key)") + 1 + CellWidth.of(fullFrom) > listWidth - 1
            let age = entry.wallMillis.map { snapshot.age($0) }.map { narrow ? $0.replacingOccurrences(of: " ago", with: "") : $0 }
            let from = entry.origin.map { snapshot.name($0) + (age.map { (narrow ? " " : " · ") + $0 } ?? "") } ?? ""
            let style = selected ? theme.selected : .plain
            if state.marked.contains(EntryRef(entry)) { grid.put("*", x: 0, y: y, style: selected ? style : theme.mark(.incoming)) }
            let kind: String = switch entry.kind {
            case .insert?: narrow ? "+" : "insert"
            case .edit?: narrow ? "~" : "edit"
            case .deletion?: narrow ? "−" : "deletion"
            case nil: narrow ? "?" : "change"
            }
            let keyX = narrow ? 5 : 12
            grid.put("↓ " + kind, x: 1, y: y, maxWidth: keyX - 1, style: selected ? style : theme.mark(.incoming))
            let fromWidth = min(CellWidth.of(from), narrow ? 14 : 20)
            let used = grid.put("\(entry.context)/\(entry.key)", x: keyX, y: y, maxWidth: listWidth - keyX - 2 - fromWidth, style: style)
            grid.put(from, x: keyX + used + 1, y: y, maxWidth: listWidth - keyX - used - 2, style: selected ? style : theme.dim)
        }
        guard let entry = state.selectedDetail, let version = entry.unseen.first else { return }
        let x = stacked ? 1 : listWidth + 1
        let y = stacked ? rect.y + listHeight + 1 : rect.y
        let width = rect.width - x - 1
        let kind = entry.incomingKind.map { "Remote \($0.rawValue)" } ?? "Change"
        var lines: [(String, Style)] = [
            ("\(kind) from \(snapshot.name(version.origin)) · \(entry.context)/\(entry.key) · \(snapshot.age(version.timestamp.wallMillis))", theme.title), ("", .plain),
        ]
        for (line, sign) in lineDiff(valueLines(entry.local?.value, absent: "(absent)"), valueLines(version.value)) {
            lines.append((line, sign > 0 ? theme.added : sign < 0 ? theme.removed : .plain))
        }
        lines.append(("", .plain))
        let other = snapshot.name(version.origin)
        lines += [("a  takes \(other)'s version here", theme.dim), ("r  keeps this device's data; not asked again", theme.dim),
                  ("o  publishes this device's data to every device", theme.dim), ("l  decide later", theme.dim)]
        ListDrawing.text(&grid, lines, x: x, y: y, width: width, height: rect.y + rect.height - y)
    }
}
