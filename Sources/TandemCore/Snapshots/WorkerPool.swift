import Foundation

/// Runs `count` blocking jobs (file reads and writes) on at most `width`
/// threads at once, outside Swift's cooperative pool, whose few threads must
/// not block on disk.
enum WorkerPool {
    static func run(count: Int, width: Int, _ job: @escaping @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let next = Counter()
        let group = DispatchGroup()
        for _ in 0..<max(1, min(width, count)) {
            group.enter()
            Thread.detachNewThread {
                while let index = next.take(below: count) { job(index) }
                group.leave()
            }
        }
        group.wait()
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func take(below limit: Int) -> Int? {
            lock.withLock {
                guard value < limit else { return nil }
                defer { value += 1 }
                return value
            }
        }
    }
}

/// Figures that several workers add to, read by the progress callback.
final class SnapshotTally: @unchecked Sendable {
    private let lock = NSLock()
    private var result = SnapshotResult()
    private var progress: SnapshotProgress
    private let started = ContinuousClock.now
    private var lastReport = ContinuousClock.now
    private let report: @Sendable (SnapshotProgress) -> Void

    init(filesTotal: Int, bytesTotal: Int64, report: @escaping @Sendable (SnapshotProgress) -> Void) {
        progress = SnapshotProgress(filesDone: 0, filesTotal: filesTotal, bytesDone: 0, bytesTotal: bytesTotal, bytesWritten: 0, elapsedSeconds: 0)
        self.report = report
    }

    func update(_ body: (inout SnapshotResult, inout SnapshotProgress) -> Void) {
        let snapshot: SnapshotProgress? = lock.withLock {
            body(&result, &progress)
            let now = ContinuousClock.now
            guard now - lastReport >= .milliseconds(100) || progress.filesDone == progress.filesTotal else { return nil }
            lastReport = now
            progress.elapsedSeconds = seconds(now - started)
            return progress
        }
        if let snapshot { report(snapshot) }
    }

    var final: SnapshotResult {
        lock.withLock {
            var copy = result
            copy.durationSeconds = seconds(ContinuousClock.now - started)
            copy.errorCount = copy.errors.count
            return copy
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
