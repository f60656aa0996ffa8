import Foundation
import Logging

/// Collecting tombstones (VaultFormat, "Collected tombstones"): a deletion
/// leaves this device's checkpoints once every live device has it and no
/// log carries what it deleted; a store that may have missed one reads the
/// whole vault again.
extension Synchronizer {
    /// Leaves out of `changes` (the checkpoint being placed) the deletions
    /// of the open gate, when the tombstone grace has passed since it opened
    /// and every device still has them; opens a gate for the deletions of
    /// `previous` (this device's latest checkpoint, whose covered files are
    /// gone) once every device has those. Returns the seq up to which the
    /// new checkpoint leaves tombstones out.
    func collectTombstones(_ changes: inout [Change], folded: FoldedLog, previous: DeviceStore.OwnCheckpoint?, vault: Vault,
                           now: Int64, dryRun: Bool, report: inout CompactionReport) throws(TandemError) -> UInt64 {
        var through = folded.previousThrough ?? 0
        guard let previous else { return through }
        let me = try store.info().id
        let readers = try TombstoneReaders(of: me, records: vault.deviceRecords().records, logging: vault.loggingDevices(),
                                           retiredHere: store.retirements().map(\.device.id))
        var collected: [Change] = []
        if let gate = try store.tombstoneGate() {
            let candidates = try store.tombstoneCandidates()
            guard now - gate.sinceMillis >= tombstoneGraceMillis, readers.haveApplied(gate.seq) else {
                report.tombstonesWaiting = candidates.count
                return through
            }
            var versions: [EntryName: Int] = [:]
            for change in changes { versions[EntryName(context: change.context, key: change.key), default: 0] += 1 }
            var kept: [Change] = []
            kept.reserveCapacity(changes.count)
            for change in changes {
                let name = EntryName(context: change.context, key: change.key)
                // Only an entry deleted and nothing else (perhaps by concurrent deletions):
                // a deletion beside a concurrent value is half of a conflict.
                if change.version.isDeletion, versions[name] == 1,
                   candidates.contains(.init(name: name, vector: change.version.vector.compactText)),
                   readers.carryNothingDeleted(by: change.version, through: gate.seq),
                   let vault = try store.entry(context: change.context, key: change.key)?.vault,
                   vault.contains(change.version), vault.allSatisfy(\.isDeletion) {
                    collected.append(change)
                } else {
                    kept.append(change)
                }
            }
            changes = kept
            if !collected.isEmpty { through = max(through, gate.seq) }
            report.tombstonesCollected = collected.count
            if !dryRun {
                _ = try store.closeTombstoneGate(collected: collected)
                if !collected.isEmpty { logger.info("left \(collected.count) deletions every device has out of the checkpoint") }
            }
        }
        // The next gate: the deletions of the previous checkpoint, once every device has applied it.
        guard readers.haveApplied(previous.seq) else { return through }
        let left = Set(collected.map { DeviceStore.CandidateTombstone(name: EntryName(context: $0.context, key: $0.key), vector: $0.version.vector.compactText) })
        let deletions = folded.previousDeletions.filter {
            !left.contains(.init(name: EntryName(context: $0.context, key: $0.key), vector: $0.version.vector.compactText))
        }
        report.tombstonesWaiting = deletions.count
        if !dryRun, !deletions.isEmpty {
            try store.openTombstoneGate(DeviceStore.TombstoneGate(seq: previous.seq, sinceMillis: now), deletions: deletions)
        }
        return through
    }

    /// Reads the whole vault again, from every log's latest checkpoint on,
    /// after a checkpoint left out deletions this store may never have seen
    /// (it was restored from an older copy, or read part of the vault long
    /// ago). Each entry that no log carries any more, and of which it holds
    /// only other devices' versions, was deleted meanwhile: it becomes an
    /// incoming deletion here. Done only when the vault reads whole; else
    /// the next sync tries again.
    func rereadVault(vault: Vault, me: DeviceID, records: [DeviceID: DeviceRecord], policies: PolicyMap,
                     report: inout SyncReport) async throws(TandemError) {
        try store.resetCursors()
        var reread = SyncReport()
        var carried: Set<EntryName>? = []
        try await pull(vault: vault, me: me, records: records, policies: policies, report: &reread, carried: &carried, heldOthers: false)
        report.segmentsPulled += reread.segmentsPulled
        report.checkpointsPulled += reread.checkpointsPulled
        report.changesPulled += reread.changesPulled
        report.applied += reread.applied
        report.gaps = reread.gaps
        for problem in reread.problems where !report.problems.contains(problem) { report.problems.append(problem) }
        report.notices += reread.notices
        guard var carried, reread.problems.isEmpty, reread.gaps.isEmpty else {
            let note = "this store reads the whole vault again (a checkpoint left out deletions it may not have seen); "
                + "part of the vault is not here yet, so it tries again at the next sync"
            report.notices.append(note)
            logger.warning("\(note)")
            return
        }
        carried.formUnion(try carriedByOwnLog(vault: vault, me: me))
        let deleted = try store.deleteUncarried(carried: carried, policies: policies)
        try store.setRereadPending(nil)
        let note = "read the whole vault again (a checkpoint left out deletions this store had not seen): "
            + (deleted.isEmpty ? "nothing was missing" : "\(deleted.count) entries deleted meanwhile are deletions here too: "
                + deleted.prefix(5).map { "\($0.context)/\(Escaped.text($0.key))" }.joined(separator: ", ") + (deleted.count > 5 ? ", …" : ""))
        report.notices.append(note)
        logger.notice("\(note)")
        try store.log(note, level: "warning")
    }

    /// The entries this device's own log carries: its latest checkpoint that
    /// opens whole and the segments after it, or every segment there is.
    private func carriedByOwnLog(vault: Vault, me: DeviceID) throws(TandemError) -> Set<EntryName> {
        var names = Set<EntryName>()
        let listing = vault.listLog(of: me)
        var from: UInt64 = 0
        for seq in listing.checkpoints.keys.sorted(by: >) {
            var parts: [CheckpointPart] = []
            if (try? vault.readCheckpoint(device: me, seq: seq) { parts.append($0) }) ?? nil != nil {
                for part in parts { for change in part.changes { names.insert(EntryName(context: change.context, key: change.key)) } }
                from = seq
                break
            }
        }
        for seq in listing.segments where seq > from {
            guard let (segment, _) = (try? vault.readSegment(device: me, seq: seq)) ?? nil else { continue }
            for change in segment.changes { names.insert(EntryName(context: change.context, key: change.key)) }
        }
        return names
    }
}

/// What the other devices' records say about a device's deletions: who
/// has applied its log how far, and whose logs may still carry what a
/// deletion deleted.
struct TombstoneReaders {
    let device: DeviceID
    /// The records of devices that are not retired, other than `device`'s.
    let live: [DeviceRecord]
    /// False when a log in the vault may carry anything: one without a
    /// record, or a retired device's that its retirer has not removed yet.
    let logsKnown: Bool
    /// Each live device with a log, with the devices whose versions that
    /// log may carry: its own, those it retired and those it relayed.
    let carriers: [(record: DeviceRecord, carries: Set<DeviceID>)]

    init(of device: DeviceID, records: [DeviceRecord], logging: [DeviceID], retiredHere: [DeviceID]) {
        self.device = device
        var retired = Set(records.flatMap { ($0.retired ?? []).map(\.id) })
        retired.formUnion(retiredHere)
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let logging = Set(logging)
        logsKnown = logging.allSatisfy { $0 == device || (byID[$0] != nil && !retired.contains($0)) }
        live = byID.values.filter { $0.id != device && !retired.contains($0.id) }
        carriers = live.filter { logging.contains($0.id) || $0.pushedSeq > 0 }.map { record in
            var carries: Set<DeviceID> = [record.id]
            for other in record.retired ?? [] { carries.insert(other.id) }
            for other in record.relayed ?? [] { if let id = DeviceID(validating: other) { carries.insert(id) } }
            return (record, carries)
        }
    }

    /// True when every live device has applied `device`'s log up to `seq`
    /// and since had nothing of its own waiting to be pushed, nor a deletion
    /// waiting for a decision: none holds, or can still write, a version
    /// beside a deletion up to there.
    func haveApplied(_ seq: UInt64) -> Bool {
        logsKnown && live.allSatisfy { ($0.settled?[device.rawValue] ?? 0) >= seq }
    }

    /// True when no log may still carry a version that `deletion` (in
    /// `device`'s log up to `seq`) superseded: every log whose owner wrote
    /// the entry, or carries versions of a device that did, was folded into a
    /// checkpoint after its owner had applied `seq`, and the files that
    /// checkpoint covers are gone.
    func carryNothingDeleted(by deletion: EntryVersion, through seq: UInt64) -> Bool {
        let writers = Set(deletion.vector.entries.map(\.device))
        return carriers.allSatisfy { carrier in
            carrier.carries.isDisjoint(with: writers) || (carrier.record.folded?[device.rawValue] ?? 0) >= seq
        }
    }
}
