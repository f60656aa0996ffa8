import Foundation
import GRDB

/// What the store keeps for collecting tombstones (VaultFormat, "Collected
/// tombstones"): on the writing side, the deletions waiting to be left out
/// of this device's checkpoints and since when they may be; on the reading
/// side, whether this store must read the vault again because a checkpoint
/// left out deletions it never saw.
extension DeviceStore {
    /// Deletions this device's log carried up to `seq` that every live
    /// device had applied, in a vault view where nothing superseded them,
    /// since `sinceMillis` (this device's clock); they are left out of its
    /// checkpoints once that is a grace period ago and still true.
    public struct TombstoneGate: Sendable, Equatable {
        public var seq: UInt64
        public var sinceMillis: Int64
    }

    /// The open gate of this device; nil when none is open (and after the
    /// store became a new device: an earlier identity's gate is not its own).
    public func tombstoneGate() throws(TandemError) -> TombstoneGate? {
        try read { db in
            guard let text = try StoreMeta.get(db, .tombstoneGate) else { return nil }
            let parts = text.split(separator: " ")
            guard parts.count == 3, let seq = UInt64(parts[1]), let millis = Int64(parts[2]) else {
                throw StoreMeta.Damaged(key: .tombstoneGate, value: text, expected: "a tombstone gate")
            }
            guard String(parts[0]) == (try self.info(db)).id.rawValue else { return nil }
            return TombstoneGate(seq: seq, sinceMillis: millis)
        }
    }

    /// The deletions of the open gate, by entry and vector text.
    func tombstoneCandidates() throws(TandemError) -> Set<CandidateTombstone> {
        try read { db in
            Set(try Row.fetchAll(db, sql: "SELECT context, key, vv FROM tombstone_candidate").map {
                CandidateTombstone(name: EntryName(context: $0[0], key: $0[1]), vector: $0[2])
            })
        }
    }

    /// A deletion waiting behind the gate.
    struct CandidateTombstone: Hashable {
        var name: EntryName
        var vector: String
    }

    /// Applies a compaction's plan once its checkpoint is placed: closes the
    /// judged gate and removes the rows of the deletions left out (an entry
    /// deleted everywhere, whose versions are all deletions and which this
    /// device has deleted too: kept, a row's deletion would come back into
    /// the next checkpoint with this device's own versions), opens the next
    /// gate, and keeps the highest seq tombstones were left out through.
    func applyTombstonePlan(_ plan: TombstonePlan) throws(TandemError) {
        try writeTransaction { db in
            let me = try self.info(db).id.rawValue
            if plan.closesGate {
                try db.execute(sql: "DELETE FROM tombstone_candidate")
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [StoreMeta.tombstoneGate.rawValue])
            }
            for deletion in plan.collected {
                guard let record = try self.record(db, context: deletion.context, key: deletion.key),
                      record.views.frontier.versions.contains(deletion.version),
                      record.views.frontier.versions.allSatisfy(\.isDeletion),
                      record.views.local.map(\.isDeletion) ?? true else { continue }
                try self.removeEntry(db, context: deletion.context, key: deletion.key)
                try db.execute(sql: "DELETE FROM conflict_version WHERE context = ? AND key = ?", arguments: [deletion.context, deletion.key])
            }
            if let (gate, deletions) = plan.opens {
                try db.execute(sql: "DELETE FROM tombstone_candidate")
                let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO tombstone_candidate (context, key, vv) VALUES (?, ?, ?)")
                for deletion in deletions {
                    try insert.execute(arguments: [deletion.context, deletion.key, deletion.version.vector.compactText])
                }
                try StoreMeta.set(db, .tombstoneGate, "\(me) \(gate.seq) \(gate.sinceMillis)")
            }
            try StoreMeta.set(db, .tombstonesThrough, "\(me) \(plan.through)")
        }
    }

    /// The highest seq this device's checkpoints left tombstones out through.
    func tombstonesThrough() throws(TandemError) -> UInt64 {
        try read { db in
            guard let text = try StoreMeta.get(db, .tombstonesThrough) else { return 0 }
            let parts = text.split(separator: " ")
            guard parts.count == 2, let seq = UInt64(parts[1]) else {
                throw StoreMeta.Damaged(key: .tombstonesThrough, value: text, expected: "a device id and a seq")
            }
            return String(parts[0]) == (try self.info(db)).id.rawValue ? seq : 0
        }
    }

    // MARK: What this device's log still carries

    /// Notes, before this device places its checkpoint at `seq`, how far it
    /// had applied each other log: once the checkpoint's covered files are
    /// gone, its log carries nothing those segments supersede. A note for
    /// the same seq stays: a run killed after placing it left that
    /// checkpoint, which stands, and it folded what that run had applied.
    func recordCheckpointApplied(seq: UInt64) throws(TandemError) {
        try writeTransaction { db in
            let me = try self.info(db).id.rawValue
            if let noted = try StoreMeta.get(db, .checkpointApplied), noted.hasPrefix("\(me) \(seq) ") { return }
            try StoreMeta.set(db, .checkpointApplied, "\(me) \(seq) \(try self.appliedText(db))")
        }
    }

    /// Makes the applied positions noted with the latest checkpoint this
    /// device's published fold (``folded()``): its covered files were removed.
    func recordFolded() throws(TandemError) {
        try writeTransaction { db in
            let me = try self.info(db).id.rawValue
            // `<id> <seq> <JSON>`, published as `<id> <JSON>`.
            guard let noted = try StoreMeta.get(db, .checkpointApplied) else { return }
            let parts = noted.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, parts[0] == me else { return }
            try StoreMeta.set(db, .folded, "\(me) \(parts[2])")
        }
    }

    /// For each device, the last of its segments this device had applied
    /// when it placed its latest checkpoint whose covered files are gone
    /// (``DeviceRecord/folded``); nil before the first (or for an earlier identity's).
    public func folded() throws(TandemError) -> [String: UInt64]? {
        try read { db in try Self.ownPositions(db, .folded, me: try self.info(db).id.rawValue) }
    }

    /// Notes the applied positions now, when nothing waits in the outbox and
    /// no deletion waits here for a decision: every write this device makes
    /// from now on has seen every deletion those positions cover, so none
    /// can stand beside one of them as a concurrent version. Returns the
    /// latest such positions (``DeviceRecord/settled``).
    func noteSettled() throws(TandemError) -> [String: UInt64]? {
        try writeTransaction { db in
            let me = try self.info(db).id.rawValue
            let queued = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0
            let waitingDeletions = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM entry WHERE state = 'incoming' AND \(EntryRecord.waitingTerm)
                    AND vault_value IS NULL AND vault_vv IS NOT NULL
                """) ?? 0
            if queued == 0, waitingDeletions == 0 { try StoreMeta.set(db, .settled, "\(me) \(try self.appliedText(db))") }
            return try Self.ownPositions(db, .settled, me: me)
        }
    }

    /// Applied positions kept in `key` as `<device id> <JSON>`; nil when
    /// none are, or they are an earlier identity's.
    private static func ownPositions(_ db: Database, _ key: StoreMeta, me: String) throws -> [String: UInt64]? {
        guard let text = try StoreMeta.get(db, key), let space = text.firstIndex(of: " "), String(text[..<space]) == me else { return nil }
        do {
            return try JSONDecoder().decode([String: UInt64].self, from: Data(text[text.index(after: space)...].utf8))
        } catch {
            throw StoreMeta.Damaged(key: key, value: text, expected: "applied positions")
        }
    }

    private func appliedText(_ db: Database) throws -> String {
        var applied: [String: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT device, seq FROM cursor") { applied[row[0]] = UInt64(row[1] as Int64) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(applied), as: UTF8.self)
    }

    // MARK: Reading everything again

    /// True when this store holds a vault version that another device
    /// wrote: a store that holds none has nothing a left-out deletion could have deleted.
    func holdsVersionsOfOthers() throws(TandemError) -> Bool {
        try read { db in
            let me = try self.info(db).id.rawValue
            return try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM entry WHERE vault_origin IS NOT NULL AND vault_origin <> ?)
                    OR EXISTS (SELECT 1 FROM conflict_version WHERE origin <> ?)
                """, arguments: [me, me]) ?? false
        }
    }

    /// Why this store must read what the whole vault holds, and not before when.
    public struct RereadPending: Sendable, Equatable {
        public var reason: String
        public var notBeforeMillis: Int64
    }

    /// Set while this store must read what the whole vault holds.
    public func rereadPending() throws(TandemError) -> RereadPending? {
        try read { db in
            guard let text = try StoreMeta.get(db, .reread) else { return nil }
            let parts = text.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let millis = Int64(parts[0]) else {
                throw StoreMeta.Damaged(key: .reread, value: text, expected: "a time and a reason")
            }
            return RereadPending(reason: String(parts[1]), notBeforeMillis: millis)
        }
    }

    /// Notes why this store must read what the whole vault holds (a
    /// checkpoint left out deletions it may not have seen), or that it did.
    func setRereadPending(_ pending: RereadPending?) throws(TandemError) {
        try writeTransaction { db in
            if let pending {
                try StoreMeta.set(db, .reread, "\(pending.notBeforeMillis) \(pending.reason)")
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [StoreMeta.reread.rawValue])
            }
        }
    }

    /// After reading what the whole vault holds: every entry that no log
    /// carries any version of, and of which this store holds only other
    /// devices' versions, was deleted while this store did not read, and
    /// its deletion left out since. The store gives each of them a deletion
    /// of its own, which it does not push (every other device has the entry
    /// deleted already; its own checkpoint may carry it later, which changes
    /// nothing for them): the entry then waits as an incoming deletion, for
    /// the policy, the handlers or the person, as any deletion from the
    /// vault would. An entry this device wrote itself stays as it is, and
    /// so, for now, does one whose versions name a device in `unsure` (its
    /// log does not read whole here, and may carry them): it counts as skipped.
    func deleteUncarried(carried: Set<EntryName>, unsure: Set<DeviceID>, policies: PolicyMap) throws(TandemError)
        -> (deleted: [EntryName], skipped: Int) {
        try writeTransaction { db in
            let me = try self.info(db).id
            var deleted: [EntryName] = []
            var skipped = 0
            var arrival = try StoreMeta.number(db, .arrival, as: Int64.self) ?? 0
            for var record in try self.records(db, sql: "", arguments: []) {
                let name = EntryName(context: record.context, key: record.key)
                let versions = record.views.frontier.versions
                guard !carried.contains(name), !versions.isEmpty, !versions.contains(where: { $0.origin == me }),
                      record.views.local.map({ $0.origin != me || versions.contains($0) }) ?? true else { continue }
                // Already deleted here, and only deletions known: nothing to tell anyone.
                if versions.allSatisfy(\.isDeletion), record.views.local.map(\.isDeletion) ?? true { continue }
                if versions.contains(where: { version in unsure.contains(version.origin) || version.vector.entries.contains { unsure.contains($0.device) } }) {
                    skipped += 1
                    continue
                }
                var seen = versions.reduce(VersionVector()) { $0.merged(with: $1.vector) }
                if let local = record.views.local { seen = seen.merged(with: local.vector) }
                // Stamped one at a time: settling the entry below may publish in its turn.
                let stamp = try LocalStamps.single(db, me: me, now: self.clock.nowMillis())
                let deletion = EntryVersion(value: nil, vector: seen.setting(me, to: stamp.counter), timestamp: stamp.timestamp,
                                            origin: me, schema: record.views.local?.schema ?? versions[0].schema)
                record.views.frontier = Frontier([deletion])
                arrival += 1
                record.arrival = arrival
                _ = try self.settle(db, &record, policy: policies[record.context], catalog: nil)
                try self.save(&record, db)
                deleted.append(name)
            }
            try StoreMeta.set(db, .arrival, String(arrival))
            return (deleted, skipped)
        }
    }
}
