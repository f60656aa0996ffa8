import Foundation
import Logging

/// What a compaction of this device's own log did, or would do.
public struct CompactionReport: Sendable, Equatable, Codable {
    /// The seq of the checkpoint it placed (or would place); nil when the
    /// latest checkpoint already covers everything this device pushed.
    public var checkpoint: UInt64?
    /// The segments folded into it, and the versions and files it holds.
    public var segmentsFolded = 0
    public var versions = 0
    public var files = 0
    /// Covered files removed (or that would be): segments and older checkpoints.
    public var removed: [String] = []
    public var removedBytes: Int64 = 0
    /// Covered files kept until the grace period after their checkpoint passes.
    public var kept = 0
    /// When the kept files may go, milliseconds since 1970.
    public var removableAtMillis: Int64?
    public var dryRun = false
    /// True when the vault was upgraded to the format that allows checkpoints.
    public var upgraded = false
    /// Deletions every live device has, left out of the checkpoint; and
    /// deletions waiting for the tombstone grace (or for a device) before they are.
    public var tombstonesCollected = 0
    public var tombstonesWaiting = 0

    /// True when it changed nothing.
    public var isEmpty: Bool { checkpoint == nil && removed.isEmpty && !upgraded }
}

/// Compaction (VaultFormat, "Checkpoints"): a device folds its own log into
/// a checkpoint, and removes the files it covers once the grace has passed.
extension Synchronizer {
    /// How long covered segments stay after their checkpoint was placed, by
    /// default: a replica still copying has time to bring the checkpoint
    /// before the segments go (a reader that misses both waits, and loses nothing).
    public static let defaultCompactionGraceMillis: Int64 = 3_600_000
    /// How long deletions every live device has stay in checkpoints before
    /// they are left out: longer than any copy of the vault lags behind
    /// another, so that a new device reading a lagging copy never meets an
    /// old version without the deletion (VaultFormat, "Collected tombstones").
    public static let defaultTombstoneGraceMillis: Int64 = 7 * 86_400_000

    /// What a sync folds and removes by itself: nothing in a vault of a
    /// format before checkpoints (older builds would not read them).
    func compactIfAllowed(vault: Vault) throws(TandemError) -> CompactionReport? {
        let info = try store.info()
        let latest = try store.ownCheckpoint()
        // A new checkpoint waits for the files the latest one covers to go: placed
        // before, it would put off their removal again each time.
        let due = (info.pushedSeq >= (latest?.seq ?? 0) + UInt64(compactAfterSegments) && latest?.cleared ?? true)
            || latest.map { !$0.cleared && store.clock.nowMillis() - $0.placedMillis >= compactionGraceMillis } ?? false
        guard due, try vault.readDescriptor().format >= VaultFormat.checkpointsSince else { return nil }
        let report = try compact(vault: vault, graceMillis: compactionGraceMillis, force: false, dryRun: false)
        return report.isEmpty ? nil : report
    }

    /// Compacts this device's own log now, as `tandem compact` does: a
    /// checkpoint of everything pushed so far, and the covered files removed
    /// once `graceMillis` have passed since their checkpoint. A vault of a
    /// format before checkpoints is upgraded only when `upgrade` is set;
    /// else it is refused, and nothing is written.
    public func compact(graceMillis: Int64, dryRun: Bool, upgrade: Bool) async throws(TandemError) -> CompactionReport {
        let vault = try reachableVault(info: try store.info())
        let lock = try await device.syncLock()
        defer { withExtendedLifetime(lock) {} }
        // Only a store that is still its device compacts that device's log.
        let records = Dictionary(vault.deviceRecords().records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        try refuseIfRetired(records: records)
        let info = try store.info()
        if try store.isCopiedHere() { throw .syncFirst(reason: "this store's file is not where it was made (copied or moved)") }
        if let reason = try foldedPastPush(vault: vault, records: records) { throw .syncFirst(reason: reason) }
        if vault.segmentExists(device: info.id, seq: info.nextSeq) {
            throw .syncFirst(reason: "the vault holds segment \(info.nextSeq) of this device, which this store has not recorded")
        }
        var upgraded = false
        let format = try vault.readDescriptor().format
        if format < VaultFormat.checkpointsSince, !upgrade {
            throw .vaultFormatTooOld(path: vault.descriptorURL.path, format: format, needed: VaultFormat.checkpointsSince)
        }
        // A vault of format 3 compacts as it is (its checkpoints leave no deletion out) until asked to upgrade.
        if upgrade, format < VaultFormat.version {
            if !dryRun { try vault.upgradeFormat() }
            upgraded = true
        }
        var report = try compact(vault: vault, graceMillis: graceMillis, force: true, dryRun: dryRun)
        report.upgraded = upgraded
        if !dryRun, !report.isEmpty {
            try publishDeviceRecord(vault: vault)
            try store.log("compact: " + (report.checkpoint.map { "checkpoint \($0) of \(report.versions) versions, " } ?? "")
                          + "removed \(report.removed.count) files" + (report.kept > 0 ? ", \(report.kept) kept until the grace passes" : ""),
                          level: "info")
        }
        return report
    }

    /// Folds this device's log into a checkpoint when `force` is set, or when
    /// at least `compactAfterSegments` segments were pushed since the last
    /// one; then removes the files that the latest checkpoint covers, when
    /// it was placed at least `graceMillis` ago. With `dryRun`, writes and
    /// removes nothing and reports exactly what it would do. The caller
    /// holds the device lock.
    func compact(vault: Vault, graceMillis: Int64, force: Bool, dryRun: Bool) throws(TandemError) -> CompactionReport {
        // Cheap enough for every sync: the store alone says whether anything is due.
        var report = CompactionReport(dryRun: dryRun)
        let info = try store.info()
        let now = store.clock.nowMillis()
        var latest = try store.ownCheckpoint()
        let since = latest?.seq ?? 0
        var due = force ? info.pushedSeq > since : info.pushedSeq >= since + UInt64(compactAfterSegments) && latest?.cleared ?? true
        let removalDue = latest.map { !$0.cleared && (force || now - $0.placedMillis >= graceMillis) } ?? false
        guard due || removalDue else { return report }
        let listing = vault.listLog(of: info.id)
        // Nothing goes on the word of a checkpoint that does not open whole here (lost by a
        // replica, damaged, or a vault folder restored from before it): it is placed again first.
        var previousOpens = true
        if let recorded = latest {
            previousOpens = vault.checkpointOpens(device: info.id, seq: recorded.seq)
            if !previousOpens, !recorded.cleared { due = true }
        }
        if due, info.pushedSeq > 0 {
            let folded = try foldedLog(vault: vault, through: info.pushedSeq, after: previousOpens ? latest : nil, listing: listing)
            var changes = folded.changes
            var plan: TombstonePlan?
            if try vault.readDescriptor().format >= VaultFormat.collectedTombstonesSince {
                let previous = previousOpens && latest?.cleared == true ? latest : nil
                plan = try tombstonePlan(&changes, folded: folded, previous: previous, vault: vault, now: now, report: &report)
            }
            let parts = checkpointParts(changes, info: info, created: try store.nextTimestamp(), tombstonesThrough: plan?.through)
            report.checkpoint = info.pushedSeq
            report.segmentsFolded = listing.segments.filter { $0 > since && $0 <= info.pushedSeq }.count
            report.versions = changes.count
            report.files = parts.count
            latest = DeviceStore.OwnCheckpoint(seq: info.pushedSeq, placedMillis: now, cleared: false)
            if !dryRun, let latest {
                // Noted before it is placed: a checkpoint a killed run left whole stands, and
                // what it folded is what that run had applied, not what this one has.
                try store.recordCheckpointApplied(seq: latest.seq)
                try place(parts, vault: vault, listing: listing, keepLeftover: plan?.collected.isEmpty ?? true)
                // Killed here, the checkpoint is in the vault but not recorded; the next compaction places it again.
                PausePoint.reached("checkpoint-placed")
                try store.recordOwnCheckpoint(latest)
                if let plan { try store.applyTombstonePlan(plan) }
                logger.info("placed checkpoint \(info.pushedSeq) of this device: \(changes.count) versions in \(parts.count) files")
            }
        }
        guard let latest else { return report }
        // Every segment up to the checkpoint, and every older checkpoint.
        var covered = listing.segments.filter { $0 <= latest.seq }.map { vault.segmentURL(device: info.id, seq: $0) }
        for (seq, parts) in listing.checkpoints where seq < latest.seq {
            covered += parts.sorted().map { vault.checkpointURL(device: info.id, seq: seq, part: $0) }
        }
        guard !covered.isEmpty else {
            if !dryRun, !latest.cleared {
                var cleared = latest
                cleared.cleared = true
                try store.recordOwnCheckpoint(cleared)
                try store.recordFolded()
            }
            return report
        }
        if now - latest.placedMillis < graceMillis {
            report.kept = covered.count
            report.removableAtMillis = latest.placedMillis + graceMillis
            return report
        }
        let sizes = covered.map { (try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int64) ?? 0 }
        if dryRun {
            report.removed = covered.map(\.path)
            report.removedBytes = sizes.reduce(0, +)
        } else {
            // Oldest first, so a removal cut short leaves a log that still reads from its checkpoint.
            let half = covered.count / 2
            report.removed = try vault.removeLogFiles(Array(covered.prefix(half)))
            PausePoint.reached("compaction-remove")
            report.removed += try vault.removeLogFiles(Array(covered.dropFirst(half)))
            var cleared = latest
            cleared.cleared = true
            try store.recordOwnCheckpoint(cleared)
            try store.recordFolded()
            report.removedBytes = zip(covered, sizes).filter { report.removed.contains($0.0.path) }.reduce(0) { $0 + $1.1 }
            logger.info("removed \(report.removed.count) files that checkpoint \(latest.seq) covers")
        }
        return report
    }

    /// The versions a checkpoint through `seq` holds: every version the log
    /// carried up to there (the previous checkpoint and the segments after
    /// it), and every version of this device the vault view holds, less
    /// those that a later version supersedes. The vault view's versions
    /// cover what a damaged or lost part of the log held of this device.
    private func foldedLog(vault: Vault, through seq: UInt64, after previous: DeviceStore.OwnCheckpoint?,
                           listing: LogListing) throws(TandemError) -> FoldedLog {
        let me = try store.info().id
        var changes: [LoggedChange] = []
        var folded = FoldedLog()
        if let previous {
            // The caller checked that it opens whole.
            _ = try vault.readCheckpoint(device: me, seq: previous.seq) { part in
                changes += part.changes
                folded.previousThrough = part.tombstonesThrough
            }
            folded.previousDeletions = changes.filter(\.version.isDeletion)
        }
        for segmentSeq in listing.segments where segmentSeq > (previous?.seq ?? 0) && segmentSeq <= seq {
            guard let (segment, _) = try? vault.readSegment(device: me, seq: segmentSeq) else { continue }
            changes += segment.changes
        }
        changes += try store.versions(of: me)
        if previous == nil {
            // Without a previous checkpoint that opens, part of what this log carried for
            // others may be readable nowhere: the versions of the devices it republishes
            // for (those it retired, and those whose logs are gone) come from the vault view.
            let logging = Set(try vault.loggingDevices())
            var others = Set(try store.retirements().map(\.device.id))
            for cursor in try store.cursors().keys where !logging.contains(cursor) { others.insert(cursor) }
            for other in others.subtracting([me]) { changes += try store.versions(of: other) }
        }
        folded.changes = try store.unsuperseded(Self.frontiers(of: changes))
        return folded
    }

    /// What a checkpoint folds: its versions, and what the previous
    /// checkpoint said of tombstones.
    struct FoldedLog {
        var changes: [LoggedChange] = []
        /// The deletions the previous checkpoint held.
        var previousDeletions: [LoggedChange] = []
        /// The seq up to which the previous checkpoint left tombstones out.
        var previousThrough: UInt64?
    }

    /// `changes` less every version another of them supersedes or repeats,
    /// in context and key order.
    static func frontiers(of changes: [LoggedChange]) -> [LoggedChange] {
        var frontiers: [EntryName: Frontier] = [:]
        for change in changes { frontiers[EntryName(context: change.context, key: change.key), default: Frontier()].add(change.version) }
        return frontiers.sorted { ($0.key.context, $0.key.key) < ($1.key.context, $1.key.key) }.flatMap { name, frontier in
            frontier.versions.map { LoggedChange(context: name.context, key: name.key, version: $0) }
        }
    }

    /// The checkpoint's files: as many changes and value bytes to a file as
    /// a segment holds, at least one file.
    private func checkpointParts(_ changes: [LoggedChange], info: DeviceInfo, created: HLCTimestamp, tombstonesThrough: UInt64?) -> [CheckpointPart] {
        let groups = fileRanges(changes).map { Array(changes[$0]) }
        return groups.enumerated().map { index, group in
            CheckpointPart(device: info.id, seq: info.pushedSeq, segmentHash: info.pushedHash, created: created,
                           installation: info.installation, part: index + 1, parts: groups.count, tombstonesThrough: tombstonesThrough,
                           changes: group)
        }
    }

    /// Places the parts. Parts at that seq from a compaction killed before
    /// it recorded its checkpoint are this device's own: whole, they stand
    /// (every reader sees one checkpoint there); cut short, they are removed
    /// first (a reader that took some of them applied only versions the new
    /// checkpoint holds too).
    /// A whole one that leaves out other tombstones than this one, or any
    /// when `keepLeftover` is false, is replaced too (this one's plan is what the store records).
    private func place(_ parts: [CheckpointPart], vault: Vault, listing: LogListing, keepLeftover: Bool) throws(TandemError) {
        guard let first = parts.first else { return }
        if let stale = listing.checkpoints[first.seq] {
            // Whole, and this installation's at this very segment: the killed run placed it all; it stands.
            var header: CheckpointPart?
            let whole = ((try? vault.readCheckpoint(device: first.device, seq: first.seq) { part in if header == nil { header = part } }) ?? nil) != nil
            if keepLeftover, whole, header?.installation == first.installation, header?.segmentHash == first.segmentHash,
               header?.tombstonesThrough == first.tombstonesThrough { return }
            _ = try vault.removeLogFiles(stale.sorted().map { vault.checkpointURL(device: first.device, seq: first.seq, part: $0) })
        }
        try vault.placeCheckpoint(parts)
    }
}
