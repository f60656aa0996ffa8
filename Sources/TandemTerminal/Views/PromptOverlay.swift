import TandemCore

/// The step-by-step prompt after a sync brought changes: one change, its
/// diff, and the keys.
struct PromptOverlay {
    var theme: Theme

    func draw(_ grid: inout Grid, _ entry: EntryStatus, _ snapshot: Snapshot) {
        guard let version = entry.unseen.first else { return }
        let kind = entry.incomingKind.map { "Remote \($0.rawValue)" } ?? "Change"
        let title = "\(kind) from \(snapshot.name(version.origin)) · \(entry.context)/\(entry.key) · \(snapshot.age(version.timestamp.wallMillis))"
        let keys = "[a]ccept [r]efuse [o] keep mine [l]ater [d]iff [q] stop"
        let diff = lineDiff(valueLines(entry.local?.value, absent: "(absent)"), valueLines(version.value)).filter { $0.1 != 0 }
        let width = min(grid.width - 4, max(CellWidth.of(title), CellWidth.of(keys)) + 4)
        let height = min(grid.height - 4, 5 + min(diff.count, 8))
        let box = Rect(x: (grid.width - width) / 2, y: max(2, (grid.height - height) / 2), width: width, height: height)
        grid.fill(box, style: theme.selected)
        grid.put(title, x: box.x + 2, y: box.y + 1, maxWidth: width - 4, style: theme.selected)
        for (index, line) in diff.prefix(height - 5).enumerated() {
            grid.put(line.0, x: box.x + 2, y: box.y + 2 + index, maxWidth: width - 4, style: theme.selected)
        }
        grid.put(keys, x: box.x + 2, y: box.y + height - 2, maxWidth: width - 4, style: theme.selected)
    }
}
