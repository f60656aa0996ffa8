import Foundation
import GRDB

/// A device's reading position in another device's log: the last segment
/// applied and its hash, which the next segment must name as its previous.
public struct Cursor: Sendable, Equatable {
    public var seq: UInt64
    public var hash: [UInt8]

    public static let start = Cursor(seq: 0, hash: Segment.noPreviousHash)
}

extension DeviceStore {
    // MARK: Cursors

    public func cursors() throws(TandemError) -> [DeviceID: Cursor] {
        try read { db in
            var result: [DeviceID: Cursor] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT device, seq, hash FROM cursor") {
                guard let device = DeviceID(validating: row[0]) else { continue }
                result[device] = Cursor(seq: UInt64(row[1] as Int64), hash: [UInt8](row[2] as Data))
            }
            return result
        }
    }

    // MARK: Pull

    /// Applies one segment read from the vault to the vault view, in one
    /// transaction with its cursor, and settles what needs no person: vault
    /// deletions of what local does not have, and every change of a context
    /// whose policy is `accept`. Returns how many changes were new, and how
    /// many of them changed the local data.
    @discardableResult
    ///
    /// `after` is the cursor's seq the segment was read at: usually
    /// `segment.seq - 1`, less past a skipped file or before a restatement.
    public func apply(_ segment: Segment, hash: [UInt8], after: UInt64, policies: PolicyMap) throws(TandemError) -> (new: Int, applied: Int) {
        try apply(segment.changes, of: segment.device, after: after, moveTo: Cursor(seq: segment.seq, hash: hash), policies: policies)
    }

    /// Applies `changes` read from `device`'s log while this device's cursor
    /// there is at `after`; moves the cursor to `moveTo`, or leaves it
    /// (a checkpoint moves it with its last part). Nothing is applied when
    /// another process moved the cursor meanwhile.
    func apply(_ changes: [LoggedChange], of device: DeviceID, after: UInt64, moveTo: Cursor?, policies: PolicyMap) throws(TandemError) -> (new: Int, applied: Int) {
        try writeTransaction { db in
            let storedSeq = try Int64.fetchOne(db, sql: "SELECT seq FROM cursor WHERE device = ?", arguments: [device.rawValue]) ?? 0
            // Another process may have applied it meanwhile.
            guard UInt64(storedSeq) == after, after < moveTo?.seq ?? .max else { return (0, 0) }
            var arrival = try StoreMeta.number(db, .arrival, as: Int64.self) ?? 0
            let now = self.clock.nowMillis()
            var newest = HLCTimestamp.zero
            // Times too far ahead stay in their versions but are not adopted here.
            var tooFarAhead: [DeviceID: Int64] = [:]
            var fresh = 0, applied = 0
            var batch = try RecordBatch(db, store: self, changes: changes, schemas: try self.schemaVersions(db))
            for change in changes {
                let stamp = change.version.timestamp
                if HybridLogicalClock.isTooFarAhead(stamp, now: now) {
                    tooFarAhead[change.version.origin] = max(tooFarAhead[change.version.origin] ?? .min, stamp.wallMillis)
                } else {
                    newest = max(newest, stamp)
                }
                if try self.merge(db, change, batch: &batch, arrival: &arrival, policy: policies[change.context], catalog: nil,
                                  applied: &applied) { fresh += 1 }
            }
            var hlc = try Self.loadClock(db)
            hlc.receive(newest, now: now)
            try Self.saveClock(db, hlc)
            for (device, wall) in tooFarAhead { try self.recordClockAhead(db, device: device, wallMillis: wall, now: now) }
            try StoreMeta.set(db, .arrival, String(arrival))
            if let moveTo {
                try db.execute(sql: "INSERT OR REPLACE INTO cursor (device, seq, hash) VALUES (?, ?, ?)",
                               arguments: [device.rawValue, Int64(moveTo.seq), Data(moveTo.hash)])
            }
            return (fresh, applied)
        }
    }

    /// Adds a vault version to an entry's frontier; false when it was already
    /// covered. `applied` counts the changes that moved the local data.
    func merge(_ db: Database, _ change: LoggedChange, batch: inout RecordBatch, arrival: inout Int64, policy: SyncPolicy,
               catalog: SchemaCatalog?, applied: inout Int) throws -> Bool {
        var record = batch.record(context: change.context, key: change.key)
        guard record.views.frontier.add(change.version) else { return false }
        arrival += 1
        record.arrival = arrival
        if try settle(db, &record, policy: policy, catalog: catalog) { applied += 1 }
        try self.save(&record, db)
        batch.update(record)
        return true
    }

    /// Applies to the views what needs nobody's decision; true when the local
    /// view changed. The caller saves the row.
    ///
    /// A vault version of an older schema is migrated as it is applied; one
    /// that cannot be migrated stays waiting, with a line in the log. Without
    /// a `catalog` (while pulling) such a version waits for the end of the
    /// pull: a later segment may hold its migrated version already, and
    /// taking that one publishes nothing.
    func settle(_ db: Database, _ record: inout EntryRecord, policy: SyncPolicy, catalog: SchemaCatalog?) throws -> Bool {
        let before = record.views.local
        if record.views.isSilentlyApplicable {
            record.views.local = record.views.unseen.deterministicWinner
        }
        if policy == .accept, let state = record.views.state, state != .inSync {
            switch state {
            case .incoming, .refused:
                if try adoptOrLog(db, &record, record.views.unseen.deterministicWinner, catalog: catalog) {
                    record.views.refused = nil
                }
            case .conflict:
                if let winner = record.views.conflictWinner, winner != record.views.local {
                    try adoptOrLog(db, &record, winner, catalog: catalog)
                }
            default:
                break
            }
        }
        return record.views.local != before
    }

    /// Settles entries left waiting by earlier syncs in contexts whose policy
    /// is now `accept` (a context switched from review, say). Only the rows
    /// that may still move are read, through the `entry_unsettled` index:
    /// not the in-sync ones, nor conflicts already settled on their winner,
    /// which pile up while nobody resolves them. So the cost follows what
    /// changed, not the size of the store or its conflicts. Returns how many
    /// changed.
    @discardableResult
    public func settlePending(policies: PolicyMap) throws(TandemError) -> Int {
        guard policies.fallback == .accept || policies.contexts.values.contains(.accept) else { return 0 }
        return try writeTransaction { db in
            var changed = 0
            let catalog = try self.schemaCatalog(db)
            for var record in try self.records(db, sql: "WHERE state IN ('incoming', 'conflict', 'refused') AND \(EntryRecord.unsettledTerm)", arguments: [])
            where policies[record.context] == .accept {
                let views = record.views
                let localChanged = try self.settle(db, &record, policy: .accept, catalog: catalog)
                // An unchanged row is saved only to mark a conflict settled
                // that was stored before the mark existed.
                guard record.views != views || record.isSettledConflict != record.storedSettled else { continue }
                try self.save(&record, db)
                if localChanged { changed += 1 }
            }
            return changed
        }
    }

    // MARK: Push

    /// The changes waiting to be pushed, oldest first, at most `limit`; with
    /// `queuedBefore`, only those queued before that time (milliseconds).
    public func outbox(limit: Int = .max, queuedBefore: Int64 = .max) throws(TandemError) -> [LoggedChange] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT context, key, value, vv, wall, counter, origin, schema FROM outbox WHERE queued <= ? ORDER BY queued, context, key LIMIT ?",
                             arguments: [queuedBefore, limit]).compactMap { row in
                guard let version = try EntryRecord.version(row, from: 2, path: self.path) else { return nil }
                return LoggedChange(context: row[0], key: row[1], version: version)
            }
        }
    }

    /// Records that `segment` of this device is in the vault: its changes leave
    /// the outbox (unless written over meanwhile), join the vault view, and
    /// the push position moves to it. Used after a push, and on start for a
    /// segment renamed into place before a crash.
    public func markPushed(_ segment: Segment, hash: [UInt8], policies: PolicyMap) throws(TandemError) {
        try writeTransaction { db in
            let info = try self.info(db)
            guard segment.device == info.id, segment.previousSeq == info.pushedSeq, segment.seq > info.pushedSeq else { return }
            var arrival = try StoreMeta.number(db, .arrival, as: Int64.self) ?? 0
            var batch = try RecordBatch(db, store: self, changes: segment.changes, schemas: try self.schemaVersions(db))
            var applied = 0
            for change in segment.changes {
                try db.execute(sql: "DELETE FROM outbox WHERE context = ? AND key = ? AND vv = ?",
                               arguments: [change.context, change.key, change.version.vector.compactText])
                _ = try self.merge(db, change, batch: &batch, arrival: &arrival, policy: policies[change.context], catalog: nil,
                                   applied: &applied)
            }
            try StoreMeta.set(db, .arrival, String(arrival))
            try StoreMeta.set(db, .pushedSeq, String(segment.seq))
            try StoreMeta.set(db, .pushedHash, Digest.hex(hash))
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [StoreMeta.nextSeq.rawValue])
            if segment.restates { try StoreMeta.set(db, .restatedSeq, String(segment.seq)) }
        }
    }

    /// When the newest change waiting in the outbox was queued; nil when none waits.
    public func newestQueuedMillis() throws(TandemError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT max(queued) FROM outbox") }
    }

    /// Notes a sync that reached the vault.
    public func recordSync(atMillis: Int64) throws(TandemError) {
        try writeTransaction { db in try StoreMeta.set(db, .lastSync, String(atMillis)) }
    }

    /// The next local timestamp, for a segment's creation time.
    public func nextTimestamp() throws(TandemError) -> HLCTimestamp {
        try writeTransaction { db in try self.tick(db) }
    }
}

/// The stored rows of every entry a segment touches, read with a few `IN`
/// queries instead of one query per change (most of a restore's rows are new).
struct RecordBatch {
    private var records: [String: [String: EntryRecord]] = [:]
    /// Entries that more than one change of the segment touches: only those
    /// need their saved record kept for the next change.
    private var repeated: Set<String> = []
    /// Each context's schema version here, for entries the store does not hold yet.
    private let schemas: [String: Int]

    init(_ db: Database, store: DeviceStore, changes: [LoggedChange], schemas: [String: Int]) throws {
        self.schemas = schemas
        var keysByContext: [String: Set<String>] = [:]
        for change in changes {
            if !keysByContext[change.context, default: []].insert(change.key).inserted {
                repeated.insert(change.context + "\u{0}" + change.key)
            }
        }
        for (context, keys) in keysByContext {
            let keys = Array(keys)
            var found: [String: EntryRecord] = [:]
            for start in stride(from: 0, to: keys.count, by: 512) {
                let chunk = Self.padded(keys[start..<min(start + 512, keys.count)])
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                for record in try store.records(db, sql: "WHERE context = ? AND key IN (\(marks))", arguments: StatementArguments([context] + chunk)) {
                    found[record.key] = record
                }
            }
            records[context] = found
        }
    }

    /// The keys, the last one repeated up to a power of two: most segments
    /// are small and of every size, and this way ten cached statements serve
    /// them all instead of one parsed per segment.
    static func padded(_ keys: ArraySlice<String>) -> [String] {
        guard let last = keys.last else { return [] }
        var size = 1
        while size < keys.count { size *= 2 }
        return Array(keys) + Array(repeating: last, count: size - keys.count)
    }

    func record(context: String, key: String) -> EntryRecord {
        records[context]?[key] ?? EntryRecord(context: context, key: key, knownSchema: schemas[context] ?? 1)
    }

    mutating func update(_ record: EntryRecord) {
        guard !repeated.isEmpty, repeated.contains(record.context + "\u{0}" + record.key) else { return }
        records[record.context, default: [:]][record.key] = record
    }
}

extension DeviceStore {
    // MARK: Gaps

    /// Replaces the gaps recorded by the previous sync with `gaps`.
    public func recordLogGaps(_ gaps: [LogGap]) throws(TandemError) {
        // Most syncs find the same gaps as the last one (none): nothing is written then.
        guard try logGaps() != gaps else { return }
        try writeTransaction { db in
            try db.execute(sql: "DELETE FROM log_gap")
            for gap in gaps {
                try db.execute(sql: "INSERT INTO log_gap (device, name, missing, pushed, latest, damaged, checkpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [gap.device.rawValue, gap.name, Int64(gap.missing), Int64(gap.pushed), Int64(gap.latest), gap.damaged,
                                           gap.awaitedCheckpoint.map(Int64.init)])
            }
        }
    }

    /// The gaps the last sync stopped at, with the names their devices go by.
    public func logGaps() throws(TandemError) -> [LogGap] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT device, name, missing, pushed, latest, damaged, checkpoint FROM log_gap ORDER BY device").compactMap { row in
                guard let device = DeviceID(validating: row[0]) else { return nil }
                return LogGap(device: device, name: row[1], missing: UInt64(row[2] as Int64),
                              pushed: UInt64(row[3] as Int64), latest: UInt64(row[4] as Int64), damaged: row[5],
                              awaitedCheckpoint: (row[6] as Int64?).map(UInt64.init))
            }
        }
    }
}
