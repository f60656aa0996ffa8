import Foundation
import TandemCore

/// A one-line progress bar on stderr — files, bytes, rate, time left — drawn
/// only when stderr is a terminal, so logs and pipes stay clean.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled = isatty(STDERR_FILENO) == 1
    private var drawn = false
    private let verb: String

    init(_ verb: String) {
        self.verb = verb
    }

    func update(_ progress: SnapshotProgress) {
        guard enabled else { return }
        lock.withLock {
            let fraction = progress.fraction
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let eta = progress.etaSeconds.map { " · " + Self.duration($0) + " left" } ?? ""
            let line = "\(verb) \(bar) \(Int(fraction * 100))% · \(progress.filesDone)/\(progress.filesTotal) files · "
                + "\(Self.bytes(progress.bytesDone))/\(Self.bytes(progress.bytesTotal)) · \(Self.bytes(Int64(progress.rate)))/s\(eta)"
            FileHandle.standardError.write(Data(("\r\u{1b}[K" + line).utf8))
            drawn = true
        }
    }

    /// Clears the bar before the result is printed.
    func finish() {
        guard enabled else { return }
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        }
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? "\(whole / 3600)h\(whole % 3600 / 60)m" : whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }
}
