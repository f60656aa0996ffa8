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
            let line = Escaped.text("\(verb) " + progress.line(barWidth: 24))
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
}
