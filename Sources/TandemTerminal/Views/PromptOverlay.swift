import TandemCore

/// The step-by-step prompt after a sync brought changes: one change, its
/// diff, and the keys.
struct PromptOverlay {
    var theme: Theme

    /// The row names the change; its `detail`, once read, gives the diff.
    /// `position` is where it stands among the changes that wait; with
    /// `expanded` the whole diff shows, as far as the screen allows.
    func draw(_ grid: inout Grid, _ row: EntryRow, _ detail: EntryStatus?, _ snapshot: Snapshot,
              position: (position: Int, total: Int) = (1, 1), expanded: Bool = false) {
        let kind = row.kind.map { "Remote \($0.rawValue)" } ?? "Change"
        let from = row.origin.map { " from " + snapshot.name($0) } ?? ""
        let title = "\(position.position) of \(position.total) · \(kind)\(from) · \(row.context)/\(row.key)"
            + (row.wallMillis.map { " · " + snapshot.age($0) } ?? "")
        let fullKeys = "[a]ccept [r]efuse [o] keep mine [l]ater [d]iff \(expanded ? "start" : "whole") [q] stop"
        let keys = CellWidth.of(fullKeys) + 8 <= grid.width ? fullKeys : "[a]ccept [r]efuse [o]mine [l]ater [d]iff [q]stop"
        let diff: [(String, Int)]
        if let detail, let version = detail.unseen.first {
            diff = lineDiff(valueLines(detail.local?.value, absent: "(absent)"), valueLines(version.value)).filter { $0.1 != 0 }
        } else {
            diff = [("…", 0)]
        }
        let width = min(grid.width - 4, max(CellWidth.of(title), CellWidth.of(keys)) + 4)
        let height = min(grid.height - 4, 5 + min(diff.count, expanded ? grid.height : 8))
        let box = Rect(x: (grid.width - width) / 2, y: max(2, (grid.height - height) / 2), width: width, height: height)
        grid.fill(box, style: theme.selected)
        // A frame, so the prompt reads as one thing over the screen.
        grid.put("┌" + String(repeating: "─", count: max(0, width - 2)) + "┐", x: box.x, y: box.y, style: theme.selected)
        grid.put("└" + String(repeating: "─", count: max(0, width - 2)) + "┘", x: box.x, y: box.y + height - 1, style: theme.selected)
        for y in (box.y + 1)..<(box.y + height - 1) {
            grid.put("│", x: box.x, y: y, style: theme.selected)
            grid.put("│", x: box.x + width - 1, y: y, style: theme.selected)
        }
        grid.put(title, x: box.x + 2, y: box.y + 1, maxWidth: width - 4, style: theme.selected)
        for (index, line) in diff.prefix(height - 5).enumerated() {
            grid.put(line.0, x: box.x + 2, y: box.y + 2 + index, maxWidth: width - 4, style: theme.selected)
        }
        grid.put(keys, x: box.x + 2, y: box.y + height - 2, maxWidth: width - 4, style: theme.selected)
    }
}
