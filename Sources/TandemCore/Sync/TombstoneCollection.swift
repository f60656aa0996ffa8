import Foundation
import Logging

/// Collecting tombstones (VaultFormat, "Collected tombstones"): a deletion
/// leaves this device's checkpoints once every live device has it and no
/// log carries what it deleted; a store that may have missed one reads what
/// the whole vault holds.
extension Synchronizer {
    /// Leaves out of `changes` (the checkpoint being placed) the deletions
    /// of the open gate, when the tombstone grace has passed since it opened
    /// and every device still has them; plans a gate for the deletions of
    /// `previous` (this device's latest checkpoint, whose covered files are
    /// gone) that every device has and no log carries what they deleted.
    /// Writes nothing: the plan, with the seq up to which the new checkpoint
    /// leaves tombstones out, is applied once that checkpoint is placed.
    func tombstonePlan(_ changes: inout [LoggedChange], folded: FoldedLog, previous: DeviceStore.OwnCheckpoint?, vault: Vault,
                       now: Int64, report: inout CompactionReport) throws(TandemError) -> TombstonePlan {
        // Never lower: a checkpoint placed again without the previous one still misses what that one left out.
        var plan = TombstonePlan(through: max(folded.previousThrough ?? 0, try store.tombstonesThrough()))
        guard let previous else { return plan }
        let me = try store.info().id
        let readers = try TombstoneReaders(of: me, records: vault.deviceRecords().records, logging: vault.loggingDevices(),
                                           retiredHere: store.retirements().map(\.device.id))
        if let gate = try store.tombstoneGate() {
            let candidates = try store.tombstoneCandidates()
            guard now - gate.sinceMillis >= tombstoneGraceMillis, readers.haveApplied(gate.seq) else {
                report.tombstonesWaiting = candidates.count
                return plan
            }
            var versions: [EntryName: Int] = [:]
            for change in changes { versions[EntryName(context: change.context, key: change.key), default: 0] += 1 }
            var kept: [LoggedChange] = []
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
                    plan.collected.append(change)
                } else {
                    kept.append(change)
                }
            }
            changes = kept
            if !plan.collected.isEmpty { plan.through = max(plan.through, gate.seq) }
            plan.closesGate = true
            report.tombstonesCollected = plan.collected.count
        }
        // The next gate, for the deletions of the previous checkpoint that every device
        // has and no log carries what they deleted: the grace counts from when both hold.
        guard readers.haveApplied(previous.seq) else { return plan }
        let left = Set(plan.collected.map { DeviceStore.CandidateTombstone(name: EntryName(context: $0.context, key: $0.key), vector: $0.version.vector.compactText) })
        let deletions = folded.previousDeletions.filter {
            !left.contains(.init(name: EntryName(context: $0.context, key: $0.key), vector: $0.version.vector.compactText))
                && readers.carryNothingDeleted(by: $0.version, through: previous.seq)
        }
        report.tombstonesWaiting = deletions.count
        if !deletions.isEmpty { plan.opens = (DeviceStore.TombstoneGate(seq: previous.seq, sinceMillis: now), deletions) }
        return plan
    }

    /// Reads what the whole vault carries, after a checkpoint left out
    /// deletions this store may never have seen (it was restored from an
    /// older copy, or read part of the vault long ago): every log from its
    /// latest checkpoint that opens whole, this device's own included, for
    /// the entries it names. The pull before has applied all of it already.
    /// Each entry that no log carries, of which this store holds only other
    /// devices' versions, was deleted meanwhile: it becomes an incoming
    /// deletion here. An entry whose versions a log that does not read
    /// whole here may carry is left for a later try, an hour on.
    func rereadVault(vault: Vault, me: DeviceID, records: [DeviceID: DeviceRecord], policies: PolicyMap,
                     report: inout SyncReport) throws(TandemError) {
        let now = store.clock.nowMillis()
        guard let pending = try store.rereadPending(), now >= pending.notBeforeMillis else { return }
        let carried = try carriedEntries(vault: vault, me: me, records: records)
        let outcome = try store.deleteUncarried(carried: carried.names, unsure: carried.unsure, policies: policies)
        try store.setRereadPending(outcome.skipped == 0 ? nil : DeviceStore.RereadPending(reason: pending.reason, notBeforeMillis: now + 3_600_000))
        var note = "read what the whole vault holds (a checkpoint left out deletions this store had not seen): "
            + (outcome.deleted.isEmpty ? "nothing was missing here" : "\(outcome.deleted.count) entries deleted meanwhile are deletions here too: "
                + outcome.deleted.prefix(5).map { Escaped.entry($0.context, $0.key) }.joined(separator: ", ") + (outcome.deleted.count > 5 ? ", …" : ""))
        if outcome.skipped > 0 {
            let unsure = carried.unsure.map { records[$0]?.name ?? $0.rawValue }.sorted().map(Escaped.text).joined(separator: ", ")
            note += "; \(outcome.skipped) entries wait until the logs of \(unsure) read whole here (tried again in an hour)"
        }
        report.notices.append(note)
        logger.notice("\(note)")
        try store.log(note, level: "warning")
    }

    /// The entries every log names, from its latest checkpoint that opens
    /// whole on; and the devices whose logs do not read whole here (a hole,
    /// a damaged file, segments not arrived), with the devices whose
    /// versions those logs may carry.
    private func carriedEntries(vault: Vault, me: DeviceID, records: [DeviceID: DeviceRecord]) throws(TandemError)
        -> (names: Set<EntryName>, unsure: Set<DeviceID>) {
        var names = Set<EntryName>()
        var unsure = Set<DeviceID>()
        func add(_ changes: [LoggedChange]) { for change in changes { names.insert(EntryName(context: change.context, key: change.key)) } }
        let logging = try vault.loggingDevices()
        for device in logging {
            let listing = vault.listLog(of: device)
            var from: UInt64 = 0
            for seq in listing.checkpoints.keys.sorted(by: >) {
                var parts: [LoggedChange] = []
                if ((try? vault.readCheckpoint(device: device, seq: seq) { parts += $0.changes }) ?? nil) != nil {
                    add(parts)
                    from = seq
                    break
                }
            }
            if from == 0, !listing.checkpoints.isEmpty { unsure.insert(device) }
            var expected = from + 1
            for seq in listing.segments.sorted() where seq > from {
                guard seq == expected, let (segment, _) = (try? vault.readSegment(device: device, seq: seq)) ?? nil else {
                    unsure.insert(device)
                    break
                }
                add(segment.changes)
                expected = seq + 1
            }
            let pushed = device == me ? try store.info().pushedSeq : records[device]?.pushedSeq ?? 0
            if expected <= pushed { unsure.insert(device) }
        }
        for record in records.values where record.pushedSeq > 0 && !logging.contains(record.id) { unsure.insert(record.id) }
        // A log that does not read whole may also hold what its owner republished for others.
        for device in unsure {
            for retired in records[device]?.retired ?? [] { unsure.insert(retired.id) }
            for relayed in records[device]?.relayed ?? [] { if let id = DeviceID(validating: relayed) { unsure.insert(id) } }
        }
        return (names, unsure)
    }
}

/// What a compaction does with tombstones, applied once its checkpoint is placed.
struct TombstonePlan {
    /// The seq up to which the checkpoint leaves deletions out.
    var through: UInt64
    /// The deletions it leaves out.
    var collected: [LoggedChange] = []
    /// True when the open gate closes (it was judged, whatever it let go).
    var closesGate = false
    /// The gate it opens, with its deletions.
    var opens: (gate: DeviceStore.TombstoneGate, deletions: [LoggedChange])?
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
