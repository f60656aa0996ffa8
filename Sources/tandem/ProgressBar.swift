import Foundation
import Logging
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
        update(line: progress.line(barWidth: 24))
    }

    func update(line text: String) {
        guard enabled else { return }
        lock.withLock {
            let line = Escaped.text("\(verb) " + text)
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

extension Synchronizer {
    /// A sync whose pull draws a progress line on stderr when it is a
    /// terminal (a fresh device restoring a large vault reads for a while),
    /// cleared before the command prints its result.
    static func syncShowingProgress(_ device: Device, policies: PolicyMap, logger: Logger) async throws(TandemError) -> SyncReport {
        let bar = ProgressBar("reading the vault")
        var synchronizer = Synchronizer(device: device, logger: logger)
        synchronizer.progress = { bar.update(line: $0.line(barWidth: 20)) }
        defer { bar.finish() }
        return try await synchronizer.sync(policies: policies)
    }
}
