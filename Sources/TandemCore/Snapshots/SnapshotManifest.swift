import Foundation

/// What a snapshot holds: every file, folder and symlink of its source with
/// its metadata and, for files, the addresses of its chunks in order. Written
/// to `snapshots/<id>.json`, sealed, only once the snapshot is complete, so
/// no manifest in a vault ever claims a backup that did not finish.
public struct SnapshotManifest: Codable, Sendable, Equatable {
    public var format: Int
    public var id: String
    /// `folder`, or `database` for `tandem db backup`.
    public var kind: String
    public var name: String
    public var description: String
    public var tags: [String]
    /// The source's absolute path on the device that took it.
    public var source: String
    public var device: DeviceID
    public var owner: String
    /// The snapshot this one was taken against (incremental), if any.
    public var parent: String?
    /// Start and end, milliseconds since 1970.
    public var started: Int64
    public var finished: Int64
    public var nodes: [SnapshotNode]
    public var skipped: Int
    public var bytes: Int64

    /// The short form people type: the first 8 hex digits.
    public var shortID: String { String(id.prefix(8)) }
}

/// One file, folder or symlink of a snapshot.
public struct SnapshotNode: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case file, directory, symlink }
    /// Relative to the source, `/`-separated; "" is the source itself.
    public var path: String
    public var kind: Kind
    /// Permission bits (07777).
    public var mode: UInt32
    /// Modification time: seconds and nanoseconds since 1970.
    public var mtime: Int64
    public var mtimeNanos: Int64
    public var size: Int64
    /// Inode and status-change time, to skip unchanged files in the next
    /// snapshot: a rewrite that puts the old mtime back still moves ctime.
    public var inode: UInt64
    public var ctime: Int64?
    public var ctimeNanos: Int64?
    public var chunks: [String]?
    /// A symlink's target, as written.
    public var target: String?
    /// For a file that is another name of an earlier file (a hard link):
    /// that file's path. Such a node has no chunks of its own, and is
    /// restored as a link to it.
    public var hardLink: String?

    /// True when `other` (from the parent snapshot) is the same file, unread:
    /// same size, modification time and inode.
    func isUnchanged(from other: SnapshotNode) -> Bool {
        kind == .file && other.kind == .file && size == other.size && mtime == other.mtime
            && mtimeNanos == other.mtimeNanos && inode == other.inode && other.chunks != nil
            && ctime != nil && ctime == other.ctime && ctimeNanos == other.ctimeNanos
    }

    /// Why this path may not be restored; nil when it is safe. A manifest is
    /// checked before anything is written, so a hostile one writes nothing.
    var pathProblem: String? {
        if path.isEmpty { return kind == .directory ? nil : "the root is not a folder" }
        if path.hasPrefix("/") { return "absolute path" }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." || component == ".." { return "path component '\(component)'" }
            if component.contains("\0") { return "NUL in a path" }
        }
        return nil
    }
}

/// What a backup or restore did: the figures the DID Spaces SDK returns.
public struct SnapshotResult: Codable, Sendable, Equatable {
    /// 0 completed, 1 completed with errors (some files skipped), 2 failed.
    public var status: Int
    public var message: String
    public var snapshotID: String?
    public var errorCount: Int
    public var fileCount: Int
    public var bytesProcessed: Int64
    public var bytesWritten: Int64
    public var chunksWritten: Int
    public var chunksReused: Int
    public var filesUnchanged: Int
    public var skippedSpecial: Int
    public var durationSeconds: Double
    public var errors: [String]

    init() {
        status = 0; message = ""; snapshotID = nil; errorCount = 0; fileCount = 0; bytesProcessed = 0; bytesWritten = 0
        chunksWritten = 0; chunksReused = 0; filesUnchanged = 0; skippedSpecial = 0; durationSeconds = 0; errors = []
    }

    /// The result of an operation that failed as a whole with `message`.
    public static func failure(_ message: String) -> SnapshotResult {
        var result = SnapshotResult()
        result.status = 2
        result.message = message
        result.errors = [message]
        result.errorCount = 1
        return result
    }
}

/// Progress, reported as a backup or restore goes.
public struct SnapshotProgress: Sendable, Equatable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int64
    public var bytesTotal: Int64
    public var bytesWritten: Int64
    public var elapsedSeconds: Double

    public init(filesDone: Int, filesTotal: Int, bytesDone: Int64, bytesTotal: Int64, bytesWritten: Int64, elapsedSeconds: Double) {
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.bytesWritten = bytesWritten
        self.elapsedSeconds = elapsedSeconds
    }

    /// How much is done, 0…1. Clamped: a file that grew while it was read
    /// makes more bytes than were counted at the start.
    public var fraction: Double {
        bytesTotal > 0 ? min(1, max(0, Double(bytesDone) / Double(bytesTotal))) : 1
    }

    /// "███░░ 42% · 120/300 files · 1.2 GiB/2.9 GiB · 80.0 MiB/s · 21s left":
    /// the CLI's progress bar and the UI's snapshots screen both show this.
    public func line(barWidth: Int) -> String {
        let filled = Int(fraction * Double(barWidth))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        var text = "\(bar) \(Int(fraction * 100))% · \(filesDone)/\(filesTotal) files · "
        text += "\(ByteCount.text(bytesDone))/\(ByteCount.text(bytesTotal)) · \(ByteCount.text(Int64(rate)))/s"
        if let eta = etaSeconds { text += " · " + Self.duration(eta) + " left" }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? "\(whole / 3600)h\(whole % 3600 / 60)m" : whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }

    /// Bytes per second so far.
    public var rate: Double { elapsedSeconds > 0 ? Double(bytesDone) / elapsedSeconds : 0 }

    /// Seconds left at the rate so far; nil before it is known.
    public var etaSeconds: Double? {
        guard rate > 0, bytesTotal > bytesDone else { return nil }
        return Double(bytesTotal - bytesDone) / rate
    }
}
