import Foundation

/// What a list of snapshots shows of one: its manifest without its files.
public struct SnapshotSummary: Sendable, Equatable {
    public var id: String
    public var kind: String
    public var name: String
    public var source: String
    public var device: DeviceID
    public var finished: Int64
    public var files: Int
    public var bytes: Int64

    public init(_ manifest: SnapshotManifest) {
        id = manifest.id
        kind = manifest.kind
        name = manifest.name
        source = manifest.source
        device = manifest.device
        finished = manifest.finished
        files = manifest.nodes.filter { $0.kind == .file }.count
        bytes = manifest.bytes
    }

    /// The short form people type: the first 8 hex digits.
    public var shortID: String { String(id.prefix(8)) }
}

extension SnapshotService {
    /// Every snapshot's summary, oldest first; manifests that do not open are
    /// returned as problems. A manifest never changes once written, so each
    /// is read and opened once per process: a screen that lists snapshots
    /// after every sync does not read megabytes of file lists each time.
    public func snapshotSummaries() throws(TandemError) -> (summaries: [SnapshotSummary], problems: [String]) {
        let vault = try vault()
        var summaries: [SnapshotSummary] = []
        var problems: [String] = []
        for id in vault.snapshotIDs() {
            let path = vault.manifestURL(id).path
            if let known = SummaryCache.shared[path] { summaries.append(known); continue }
            do {
                let summary = SnapshotSummary(try vault.readManifest(id))
                SummaryCache.shared[path] = summary
                summaries.append(summary)
            } catch {
                problems.append(error.description)
            }
        }
        return (summaries.sorted { ($0.finished, $0.id) < ($1.finished, $1.id) }, problems)
    }
}

extension SnapshotService {
    /// For each of `manifests` whose chunks are not all in a pack of this
    /// copy of the vault, how many are missing, by snapshot id: a snapshot
    /// another machine made may be listed before its packs have arrived.
    public func missingChunks(of manifests: [SnapshotManifest]) throws(TandemError) -> [String: Int] {
        let objects = try vault().objects()
        var missing: [String: Int] = [:]
        for manifest in manifests {
            let chunks = Set(manifest.nodes.lazy.filter { $0.kind == .file }.flatMap { $0.chunks ?? [] })
            let count = chunks.filter { !objects.isListed($0) }.count
            if count > 0 { missing[manifest.id] = count }
        }
        return missing
    }
}

/// Summaries of the manifests read so far, by manifest path.
private final class SummaryCache: @unchecked Sendable {
    static let shared = SummaryCache()
    private let lock = NSLock()
    private var byPath: [String: SnapshotSummary] = [:]

    subscript(path: String) -> SnapshotSummary? {
        get { lock.withLock { byPath[path] } }
        set { lock.withLock { byPath[path] = newValue } }
    }
}
