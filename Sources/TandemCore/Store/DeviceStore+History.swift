import GRDB

/// The store's history stays a bounded window: the log of what syncs and
/// decisions did, and the record of decisions, keep their newest rows only
/// (undo keeps its latest 50 actions of its own), so that a device
/// that syncs every minute for years holds what it did lately, not all of it.
extension DeviceStore {
    /// How many of the newest log lines (`tandem log`, the UI's log screen) are kept.
    public static let eventWindow = 10_000
    /// How many of the newest decisions are kept in their record.
    public static let decisionWindow = 10_000

    /// Drops the log lines and decision records older than their windows.
    /// Cheap enough for every sync: each is one range of the primary key.
    /// Returns how many rows went.
    @discardableResult
    func trimHistory() throws(TandemError) -> Int {
        try writeTransaction { db in
            var removed = 0
            for (table, window) in [("event", Self.eventWindow), ("decision", Self.decisionWindow)] {
                try db.execute(sql: "DELETE FROM \(table) WHERE id <= (SELECT max(id) FROM \(table)) - ?", arguments: [window])
                removed += db.changesCount
            }
            return removed
        }
    }

    /// The write-ahead log's size limit on the store's connections, in bytes.
    func journalSizeLimit() throws(TandemError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA journal_size_limit") ?? -1 }
    }
}
