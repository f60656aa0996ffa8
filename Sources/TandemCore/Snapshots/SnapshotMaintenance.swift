import Foundation

/// Which snapshots `forget` keeps: the newest `last`, and the newest of each
/// of the latest `daily` days and `weekly` weeks that have one (as restic's
/// policy). Applied per source and device.
public struct RetentionPolicy: Sendable, Equatable {
    public var last: Int
    public var daily: Int
    public var weekly: Int

    public init(last: Int = 0, daily: Int = 0, weekly: Int = 0) {
        self.last = last
        self.daily = daily
        self.weekly = weekly
    }

    public var isEmpty: Bool { last == 0 && daily == 0 && weekly == 0 }

    /// The ids to keep among `snapshots` (one source's, any order).
    func keep(_ snapshots: [SnapshotManifest]) -> Set<String> {
        let newest = snapshots.sorted { ($0.finished, $0.id) > ($1.finished, $1.id) }
        var kept = Set(newest.prefix(last).map(\.id))
        func keepNewestPer(_ bucket: (Int64) -> Int64, count: Int) {
            var seen: [Int64] = []
            for snapshot in newest where seen.count < count {
                let key = bucket(snapshot.finished)
                if !seen.contains(key) {
                    seen.append(key)
                    kept.insert(snapshot.id)
                }
            }
        }
        keepNewestPer({ $0 / 86_400_000 }, count: daily)
        keepNewestPer({ ($0 / 86_400_000 + 3) / 7 }, count: weekly)
        return kept
    }
}

/// What `forget` and `prune` did.
public struct MaintenanceReport: Sendable, Equatable {
    public var forgotten: [String] = []
    public var kept: [String] = []
    public var objectsRemoved = 0
    public var bytesRemoved: Int64 = 0
    public var objectsSpared = 0
    public var packsRemoved = 0
    public var packsRewritten = 0
    /// Packs this prune condemned: a later prune, a grace from now, removes
    /// them (or rewrites them without the objects no snapshot needs).
    public var packsCondemned = 0
    /// Unused objects in those packs, and their bytes: what that prune frees.
    public var objectsCondemned = 0
    public var bytesCondemned: Int64 = 0
    /// Packs condemned by an earlier prune whose grace has not passed.
    public var packsWaiting = 0
    /// When the next prune can remove the first condemned pack (milliseconds
    /// since 1970, this device's clock); nil when none is condemned.
    public var nextRemovalMillis: Int64?
    /// Records of condemned packs that could not be read ("path: reason"):
    /// backups cannot tell which packs they name, so they may reuse them.
    public var unreadableRecords: [String] = []
}

extension SnapshotService {
    /// Removes the manifests `policy` does not keep; their chunks stay until
    /// `prune`.
    public func forgetSnapshots(_ policy: RetentionPolicy, dryRun: Bool = false) throws(TandemError) -> MaintenanceReport {
        let vault = try vault()
        let (manifests, problems) = try snapshots()
        // A manifest that cannot be read might be one to keep: stop rather than guess.
        if let problem = problems.first { throw .snapshotFailed(reason: "cannot apply a retention policy: \(problem)") }
        var report = MaintenanceReport()
        let groups = Dictionary(grouping: manifests) { "\($0.device.rawValue) \($0.kind) \($0.source)" }
        for (_, group) in groups {
            let keep = policy.keep(group)
            for manifest in group {
                if keep.contains(manifest.id) { report.kept.append(manifest.id); continue }
                if !dryRun { try vault.removeManifest(manifest.id) }
                report.forgotten.append(manifest.id)
            }
        }
        report.kept.sort()
        report.forgotten.sort()
        return report
    }

    /// Removes objects no snapshot references, in two steps: packs older
    /// than `grace` that hold such objects are condemned (recorded in the
    /// vault, so that no backup reuses them), and those this device
    /// condemned at least `grace` earlier are removed, or rewritten with
    /// the objects a snapshot still needs.
    ///
    /// Safe while another device, on another replica of a synced folder, is
    /// backing up: that backup writes its packs before its manifest and
    /// touches every pack it reuses, so its packs stay young; once it sees
    /// a record it stops reusing the packs named there, and before it
    /// writes its manifest copies out what it needs from any such pack. A
    /// condemned pack is removed only when, a grace after it was condemned,
    /// it is untouched, and what a manifest that arrived meanwhile names is
    /// copied out first. So `grace` (an hour by default) must exceed the
    /// time the folder takes to carry a file there and back. A manifest that cannot be
    /// read stops the prune, since its chunks cannot be known.
    ///
    /// `forgetting` names manifests to count as gone (a dry run of forget
    /// and prune together): with `dryRun`, the report says exactly what
    /// the real run would do.
    public func pruneObjects(grace: TimeInterval = 3600, dryRun: Bool = false, forgetting: Set<String> = [],
                             now: Date = Date()) throws(TandemError) -> MaintenanceReport {
        let vault = try vault()
        let (manifests, problems) = try snapshots()
        if let problem = problems.first { throw .snapshotFailed(reason: "prune stopped, nothing removed: \(problem)") }
        let referenced = Set(manifests.filter { !forgetting.contains($0.id) }.flatMap { $0.nodes.flatMap { $0.chunks ?? [] } })
        let count = try vault.objects().prune(referenced: referenced, grace: grace, dryRun: dryRun, device: try info().id, now: now)
        var report = MaintenanceReport()
        report.objectsRemoved = count.objectsRemoved
        report.bytesRemoved = count.bytesRemoved
        report.objectsSpared = count.objectsSpared
        report.packsRemoved = count.packsRemoved
        report.packsRewritten = count.packsRewritten
        report.packsCondemned = count.packsCondemned
        report.objectsCondemned = count.objectsCondemned
        report.bytesCondemned = count.bytesCondemned
        report.packsWaiting = count.packsWaiting
        report.nextRemovalMillis = count.nextRemovalMillis
        report.unreadableRecords = count.unreadableRecords
        return report
    }

    /// Restores snapshot `id` (or its `subpath`) into `target`, a new or empty folder.
    public func restoreSnapshot(_ id: String, to target: String, subpath: String? = nil, concurrency: Int = 5,
                                progress: @escaping @Sendable (SnapshotProgress) -> Void = { _ in }) throws(TandemError) -> SnapshotResult {
        let vault = try vault()
        let manifest = try vault.readManifest(try vault.resolveSnapshot(id))
        let path = URL(fileURLWithPath: target).standardizedFileURL.path
        try finishInterruptedWork()
        return try SnapshotRestorer(vault: vault, device: try info().id, workRoot: scratchRoot, concurrency: max(1, concurrency))
            .restore(manifest, to: path, subpath: subpath, progress: progress)
    }
}
