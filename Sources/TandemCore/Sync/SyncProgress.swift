import Foundation

/// How far a sync has read the other devices' logs: what a fresh device
/// restoring a large vault shows while it works.
///
/// What there is to read comes from the devices' records as the pull began
/// (how far each pushed), past this device's cursors; a checkpoint counts as
/// the segments it covers. Where the logs hold more than the records said (a
/// record that lags, or was never written), the total is not known: no
/// share or time left is shown, only what was read.
public struct SyncProgress: Sendable, Equatable {
    /// Segments read, or covered by a checkpoint read.
    public var segmentsDone = 0
    /// Segments the devices' records announce past this device's cursors.
    public var segmentsTotal = 0
    public var checkpointsRead = 0
    /// Changes read from segments and checkpoints.
    public var changesRead = 0
    /// Bytes of the files read.
    public var bytesRead: Int64 = 0
    public var elapsedSeconds: Double = 0

    public init() {}

    /// Whether the records said how much there is: they did not when more was read.
    public var totalKnown: Bool { segmentsDone <= segmentsTotal }

    /// How much is done, 0…1; nil when the total is not known.
    public var fraction: Double? {
        guard totalKnown else { return nil }
        return segmentsTotal > 0 ? Double(segmentsDone) / Double(segmentsTotal) : 1
    }

    /// Changes per second so far.
    public var rate: Double { elapsedSeconds > 0 ? Double(changesRead) / elapsedSeconds : 0 }

    /// Seconds left at the rate so far; nil until a little is done.
    public var etaSeconds: Double? {
        guard let fraction, fraction > 0.01, fraction < 1, elapsedSeconds > 0.5 else { return nil }
        return elapsedSeconds * (1 - fraction) / fraction
    }

    /// "42% · 1200/2900 segments · 4s left": the terminal UI's header during a long sync.
    public var summary: String {
        guard let fraction else { return "\(segmentsDone) segments read" }
        var text = "\(Int(fraction * 100))% · \(segmentsDone)/\(segmentsTotal) segments"
        if let eta = etaSeconds { text += " · " + SnapshotProgress.duration(eta) + " left" }
        return text
    }

    /// "███░░ 42% · 1200/2900 segments · 2 checkpoints · 48000 changes · 3.1 MiB · 9600 changes/s · 4s left":
    /// the CLI's progress line on stderr.
    public func line(barWidth: Int) -> String {
        var text: String
        if let fraction {
            let filled = Int(fraction * Double(barWidth))
            text = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
            text += " \(Int(fraction * 100))% · \(segmentsDone)/\(segmentsTotal) segments"
        } else {
            text = "\(segmentsDone) segments"
        }
        if checkpointsRead > 0 { text += " · \(checkpointsRead) checkpoint" + (checkpointsRead == 1 ? "" : "s") }
        text += " · \(changesRead) changes · \(ByteCount.text(bytesRead)) · \(Int(rate)) changes/s"
        if let eta = etaSeconds { text += " · " + SnapshotProgress.duration(eta) + " left" }
        return text
    }
}

/// The pull's running count, and when to tell the caller: at most every
/// 100 ms, and once at the end.
struct PullProgress {
    private(set) var progress = SyncProgress()
    private let report: (@Sendable (SyncProgress) -> Void)?
    private let started = ContinuousClock.now
    private var lastReport: ContinuousClock.Instant?

    init(total: Int, report: (@Sendable (SyncProgress) -> Void)?) {
        progress.segmentsTotal = total
        self.report = report
    }

    /// Whether anyone listens: file sizes are read only then.
    var isWanted: Bool { report != nil }

    mutating func read(segments: Int, checkpoints: Int = 0, changes: Int, bytes: Int64) {
        guard report != nil else { return }
        progress.segmentsDone += segments
        progress.checkpointsRead += checkpoints
        progress.changesRead += changes
        progress.bytesRead += bytes
        let now = ContinuousClock.now
        if let last = lastReport, now - last < .milliseconds(100) { return }
        send(now)
    }

    mutating func finish() {
        guard report != nil, lastReport != nil else { return }
        send(.now)
    }

    private mutating func send(_ now: ContinuousClock.Instant) {
        lastReport = now
        let elapsed = now - started
        progress.elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        report?(progress)
    }
}
