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
    /// whose policy is `accept`. Returns how many changes were new.
    @discardableResult
    public func apply(_ segment: Segment, hash: [UInt8], policies: PolicyMap) throws(TandemError) -> Int {
        try writeTransaction { db in
            let storedSeq = try Int64.fetchOne(db, sql: "SELECT seq FROM cursor WHERE device = ?", arguments: [segment.device.rawValue]) ?? 0
            // Another process may have applied it meanwhile.
            guard UInt64(storedSeq) + 1 == segment.seq else { return 0 }
            var arrival = Int64(try StoreMeta.get(db, .arrival) ?? "0") ?? 0
            var newest = HLCTimestamp.zero
            var fresh = 0
            for change in segment.changes {
                newest = max(newest, change.version.timestamp)
                if try self.merge(db, change, arrival: &arrival, policy: policies[change.context]) { fresh += 1 }
            }
            var hlc = try self.loadClock(db)
            hlc.receive(newest, now: self.clock.nowMillis())
            try self.saveClock(db, hlc)
            try StoreMeta.set(db, .arrival, String(arrival))
            try db.execute(sql: "INSERT OR REPLACE INTO cursor (device, seq, hash) VALUES (?, ?, ?)",
                           arguments: [segment.device.rawValue, Int64(segment.seq), Data(hash)])
            return fresh
        }
    }

    /// Adds a vault version to an entry's frontier; false when it was already covered.
    func merge(_ db: Database, _ change: Change, arrival: inout Int64, policy: SyncPolicy) throws -> Bool {
        var record = try record(db, context: change.context, key: change.key) ?? EntryRecord(context: change.context, key: change.key)
        guard record.views.frontier.add(change.version) else { return false }
        arrival += 1
        record.arrival = arrival
        try settle(db, &record, policy: policy)
        return true
    }

    /// Applies what needs nobody's decision, then saves the row with its state.
    func settle(_ db: Database, _ record: inout EntryRecord, policy: SyncPolicy) throws {
        if record.views.isSilentlyApplicable {
            record.views.local = record.views.unseen.deterministicWinner
        }
        if policy == .accept {
            switch record.views.state {
            case .incoming, .refused:
                record.views.local = record.views.unseen.deterministicWinner
                record.views.refused = nil
            case .conflict:
                if let winner = record.views.conflictWinner, winner != record.views.local {
                    record.views.local = winner
                }
            default:
                break
            }
        }
        try record.save(db)
    }

    /// Settles entries left waiting under `policy` by earlier syncs (a context
    /// switched to `accept`, say). Returns how many changed.
    @discardableResult
    public func settlePending(contexts: [String], policy: SyncPolicy) throws(TandemError) -> Int {
        guard !contexts.isEmpty, policy == .accept else { return 0 }
        return try writeTransaction { db in
            let marks = contexts.map { _ in "?" }.joined(separator: ",")
            var changed = 0
            for var record in try self.records(db, sql: "WHERE state IN ('incoming', 'conflict', 'refused') AND context IN (\(marks))",
                                                arguments: StatementArguments(contexts)) {
                let before = record.views.local
                try self.settle(db, &record, policy: policy)
                if record.views.local != before { changed += 1 }
            }
            return changed
        }
    }

    // MARK: Push

    /// The changes waiting to be pushed, oldest first, at most `limit`.
    public func outbox(limit: Int = .max) throws(TandemError) -> [Change] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT context, key, value, vv, wall, counter, origin, schema FROM outbox ORDER BY queued, context, key LIMIT ?",
                             arguments: [limit]).compactMap { row in
                guard let version = try EntryRecord.version(row, from: 2, path: self.path) else { return nil }
                return Change(context: row[0], key: row[1], version: version)
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
            guard segment.device == info.id, segment.seq == info.pushedSeq + 1 else { return }
            var arrival = Int64(try StoreMeta.get(db, .arrival) ?? "0") ?? 0
            for change in segment.changes {
                try db.execute(sql: "DELETE FROM outbox WHERE context = ? AND key = ? AND vv = ?",
                               arguments: [change.context, change.key, change.version.vector.compactText])
                _ = try self.merge(db, change, arrival: &arrival, policy: policies[change.context])
            }
            try StoreMeta.set(db, .arrival, String(arrival))
            try StoreMeta.set(db, .pushedSeq, String(segment.seq))
            try StoreMeta.set(db, .pushedHash, Digest.hex(hash))
        }
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
