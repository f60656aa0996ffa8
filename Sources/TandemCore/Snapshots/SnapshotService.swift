import Foundation
import GRDB

/// What a snapshot should be called and how it is taken.
public struct SnapshotOptions: Sendable {
    public var name: String?
    public var description: String
    public var tags: [String]
    /// Read every file again instead of trusting the parent snapshot.
    public var full: Bool
    /// Files read and written at once (5, as the DID Spaces SDK does).
    public var concurrency: Int
    /// How new chunks are compressed; nil for the default of the kind of
    /// snapshot (`standard` for folders, `fast` for databases).
    public var compression: Compression?

    public init(name: String? = nil, description: String = "", tags: [String] = [], full: Bool = false, concurrency: Int = 5,
                compression: Compression? = nil) {
        self.name = name
        self.description = description
        self.tags = tags
        self.full = full
        self.concurrency = concurrency
        self.compression = compression
    }
}

/// A snapshot as this device recorded it: its status moves from `started`
/// to `completed` or `failed`.
public struct SnapshotRecord: Sendable, Equatable {
    public var id: String
    public var source: String
    public var kind: String
    public var status: String
    public var message: String?
    public var startedMillis: Int64
    public var finishedMillis: Int64?
}

/// Snapshots of folders and databases in a device's vault: a service beside
/// the device's store, which keeps only the record of each run (the SQL of
/// it is the store's); chunks, packs and manifests are the vault's.
///
/// ```swift
/// let snapshots = SnapshotService(device)
/// let result = try snapshots.createSnapshot(of: "/home/alice/photos")
/// try snapshots.restoreSnapshot(result.snapshotID!, to: "/tmp/photos")
/// ```
public struct SnapshotService: Sendable {
    public let device: Device
    var store: DeviceStore { device.store }

    public init(_ device: Device) {
        self.device = device
    }

    var path: String { store.path }
    var clock: any WallClock { store.clock }

    func vault() throws(TandemError) -> Vault {
        try device.vault()
    }

    func info() throws(TandemError) -> DeviceInfo {
        try store.info()
    }
}

extension SnapshotService {
    /// Takes a snapshot of the folder (or single file) at `source`: full the
    /// first time, then incremental against the latest snapshot of the same
    /// source from this device, unless `options.full`.
    ///
    /// The store records it as started, then completed or failed; the vault
    /// gets its manifest only once every chunk is written, so an interrupted
    /// snapshot leaves nothing that claims success, and a rerun finds the
    /// chunks already written and does not write them again.
    public func createSnapshot(of source: String, options: SnapshotOptions = SnapshotOptions(),
                               progress: @escaping @Sendable (SnapshotProgress) -> Void = { _ in }) throws(TandemError) -> SnapshotResult {
        try createSnapshot(of: source, kind: "folder", recordedAs: nil, options: options, progress: progress)
    }

    /// `recordedAs` is the source the manifest names when `source` is a copy
    /// (a database backup snapshots a copy of the database).
    /// `confirm` runs once every chunk is written, before the manifest: an
    /// error it throws fails the snapshot (a database copy's check runs
    /// meanwhile).
    func createSnapshot(of source: String, kind: String, recordedAs: String?, options: SnapshotOptions,
                        progress: @escaping @Sendable (SnapshotProgress) -> Void,
                        confirm: () throws(TandemError) -> Void = {}) throws(TandemError) -> SnapshotResult {
        let vault = try vault()
        let info = try info()
        let copy = URL(fileURLWithPath: source).standardizedFileURL.path
        let root = recordedAs.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? copy
        guard let lock = try DeviceLock.take(path: path + ".snapshot.lock") else {
            throw .snapshotFailed(reason: "another snapshot of device \(info.name) is running; wait for it to end")
        }
        defer { withExtendedLifetime(lock) {} }
        try finishInterruptedWork()
        vault.removeLeftovers(of: info.id)
        let id = Self.newSnapshotID()
        let started = clock.nowMillis()
        let timer = ContinuousClock.now
        try store.recordSnapshotStarted(id, source: root, kind: kind, atMillis: started)
        do throws(TandemError) {
            var tree = try FileTree.scan(copy)
            let parent = options.full ? nil : try latestSnapshot(of: root, kind: kind, device: info.id, in: vault)
            let parentNodes = Dictionary((parent?.nodes ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            let isSingleFile = tree.nodes.count == 1 && tree.nodes[0].kind == .file
            // A full backup reads back each object it would reuse: a damaged
            // copy is then written again, never named by the new snapshot.
            let objects = try vault.objects(compression: options.compression ?? .standard, checkingReuse: options.full)
            let writer = SnapshotWriter(objects: objects, source: copy, isSingleFile: isSingleFile, concurrency: max(1, options.concurrency))
            var (result, failure) = writer.write(&tree, parent: parentNodes, progress: progress)
            // Damage found on the way helps every later backup, whatever becomes of this one.
            do { try vault.recordDamage(objects.newlyFoundDamage, by: info.id) } catch {
                result.errors.append("the damage found could not be recorded: \(error.description)")
            }
            if let failure { throw failure }
            let manifest = SnapshotManifest(
                format: VaultFormat.fileVersion, id: id, kind: kind, name: options.name ?? (root as NSString).lastPathComponent,
                description: options.description, tags: options.tags, source: root, device: info.id, owner: info.owner,
                parent: parent?.id, started: started, finished: clock.nowMillis(), nodes: tree.nodes,
                skipped: tree.skippedSpecial, bytes: tree.nodes.filter { $0.hardLink == nil }.reduce(0) { $0 + $1.size })
            try objects.finish()
            try confirm()
            try vault.writeManifest(manifest)
            // The whole snapshot, scan and flush included, not only the files' part.
            let elapsed = ContinuousClock.now - timer
            result.durationSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            result.snapshotID = id
            result.status = result.errors.isEmpty ? 0 : 1
            result.message = result.errors.isEmpty ? "completed" : "completed with \(result.errors.count) errors; those files are not in the snapshot"
            try finishSnapshotRecord(id, status: "completed", message: result.message, result: result)
            return result
        } catch {
            try? finishSnapshotRecord(id, status: "failed", message: error.description, result: nil)
            throw error
        }
    }

    /// Every snapshot in the vault, oldest first. Manifests that do not open
    /// are returned as problems, by path.
    public func snapshots() throws(TandemError) -> (manifests: [SnapshotManifest], problems: [String]) {
        let vault = try vault()
        var manifests: [SnapshotManifest] = []
        var problems: [String] = []
        for id in vault.snapshotIDs() {
            do { manifests.append(try vault.readManifest(id)) } catch { problems.append(error.description) }
        }
        return (manifests.sorted { ($0.finished, $0.id) < ($1.finished, $1.id) }, problems)
    }

    /// The manifest of the snapshot whose id is or starts with `id`.
    public func snapshot(_ id: String) throws(TandemError) -> SnapshotManifest {
        let vault = try vault()
        return try vault.readManifest(try vault.resolveSnapshot(id))
    }

    private func latestSnapshot(of source: String, kind: String, device: DeviceID, in vault: Vault) throws(TandemError) -> SnapshotManifest? {
        var latest: SnapshotManifest?
        for id in vault.snapshotIDs() {
            // A manifest that does not open is no parent: the snapshot reads everything instead.
            guard let manifest = try? vault.readManifest(id), manifest.source == source, manifest.kind == kind, manifest.device == device else { continue }
            if latest.map({ ($0.finished, $0.id) < (manifest.finished, manifest.id) }) ?? true { latest = manifest }
        }
        return latest
    }

    private func finishSnapshotRecord(_ id: String, status: String, message: String, result: SnapshotResult?) throws(TandemError) {
        let json = result.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        try store.recordSnapshotEnded(id, status: status, message: message, resultJSON: json, atMillis: clock.nowMillis())
    }

    static func newSnapshotID() -> String {
        Digest.randomHex(bytes: 8)
    }
}
