import Foundation

/// A byte count as people read it: "830 B", "4.1 MiB", "1.2 GiB". Shared by
/// the CLI, the UI and the bench so all say it alike.
public enum ByteCount {
    public static func text(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
