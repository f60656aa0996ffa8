import Foundation
import TandemCore

/// The vault's snapshots, and the one started here with its progress:
/// files, bytes, rate and time left, as the CLI's progress bar shows them.
struct SnapshotsScreen {
    var theme: Theme

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        guard let snapshot = state.snapshot else { return }
        let snapshots = snapshot.snapshots
        ListDrawing.title(&grid, "Snapshots (\(snapshots.count))", x: 1, y: rect.y, width: rect.width - 2, style: theme.title)
        var top = rect.y + 1
        if let backup = state.backup {
            grid.put(Self.describe(backup), x: 1, y: top, maxWidth: rect.width - 2,
                     style: backup.running ? theme.title : theme.dim)
            top += 2
        }
        grid.put(pad("ID", 10) + pad("WHEN", 12) + pad("KIND", 9) + pad("DEVICE", 12) + pad("FILES", 7) + pad("SIZE", 11) + "NAME · SOURCE",
                 x: 1, y: top, style: theme.dim)
        guard !snapshots.isEmpty else {
            grid.put("no snapshots yet — n backs up a folder (tandem snapshot create PATH does the same)", x: 1, y: top + 1, style: theme.dim)
            return
        }
        ListDrawing.draw(&grid, Rect(x: 0, y: top + 1, width: rect.width, height: rect.y + rect.height - top - 1), count: snapshots.count,
                         selected: state.selectedIndex, selectedStyle: theme.selected) { grid, index, y, selected in
            let summary = snapshots[index]
            let line = pad(summary.shortID, 10) + pad(snapshot.age(summary.finished), 12) + pad(summary.kind, 9)
                + pad(snapshot.name(summary.device), 12) + pad(String(summary.files), 7) + pad(ByteCount.text(summary.bytes), 11)
                + Escaped.text(summary.name) + " · " + Escaped.text(summary.source)
            grid.put(line, x: 1, y: y, maxWidth: rect.width - 2, style: selected ? theme.selected : .plain)
        }
    }

    /// "backing up ~/photos ███░░ 42% · 120/300 files · 1.2 GiB/2.9 GiB · 80 MiB/s · 21s left"
    static func describe(_ backup: BackupStatus) -> String {
        if let outcome = backup.outcome { return outcome }
        guard let progress = backup.progress else { return "backing up \(backup.source): reading the folder…" }
        return "backing up \(backup.source) " + progress.line(barWidth: 20)
    }
}
