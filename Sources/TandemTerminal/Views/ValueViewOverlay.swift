import TandemCore

/// The value view over the screen: a frame, the title and where the view
/// stands, the wrapped lines, the line last found marked.
struct ValueViewOverlay {
    var theme: Theme

    func draw(_ grid: inout Grid, _ view: ValueView) {
        let size = TerminalSize(grid.width, grid.height)
        let box = Rect(x: 0, y: 2, width: grid.width, height: grid.height - 4)
        grid.fill(box)
        let rows = view.rows(width: ValueView.textWidth(size))
        let page = ValueView.pageHeight(size)
        let top = min(view.top, max(0, rows.count - page))
        let shown = rows.isEmpty ? "empty" : "rows \(top + 1)–\(min(rows.count, top + page)) of \(rows.count)"
        let rule = String(repeating: "─", count: max(0, box.width - 2))
        grid.put("┌" + rule + "┐", x: box.x, y: box.y, style: theme.dim)
        grid.put("└" + rule + "┘", x: box.x, y: box.y + box.height - 1, style: theme.dim)
        for y in (box.y + 1)..<(box.y + box.height - 1) {
            grid.put("│", x: box.x, y: y, style: theme.dim)
            grid.put("│", x: box.x + box.width - 1, y: y, style: theme.dim)
        }
        let position = " · \(shown)" + (view.search.map { " · /\($0)" } ?? "")
        let used = grid.put(" " + view.title, x: box.x + 1, y: box.y + 1, maxWidth: box.width - 3 - CellWidth.of(position), style: theme.title)
        grid.put(position, x: box.x + 1 + used, y: box.y + 1, maxWidth: box.width - 3 - used, style: theme.dim)
        for (offset, row) in rows.dropFirst(top).prefix(page).enumerated() {
            let style = row.line == view.foundLine ? theme.selected : self.style(row.tone)
            grid.put(row.text, x: box.x + 2, y: box.y + 2 + offset, maxWidth: box.width - 4, style: style)
        }
    }

    private func style(_ tone: ValueView.Tone) -> Style {
        switch tone {
        case .plain: .plain
        case .heading: theme.title
        case .added: theme.added
        case .removed: theme.removed
        case .dim: theme.dim
        }
    }
}
