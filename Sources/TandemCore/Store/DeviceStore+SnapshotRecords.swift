import GRDB

/// The store's record of each snapshot this device took (the `snapshot`
/// table); the snapshots themselves are the vault's (``SnapshotService``).
extension DeviceStore {
    /// This device's snapshot records, newest first.
    public func snapshotRecords() throws(TandemError) -> [SnapshotRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, source, kind, status, message, started, finished FROM snapshot ORDER BY started DESC, id").map {
                SnapshotRecord(id: $0["id"], source: $0["source"], kind: $0["kind"], status: $0["status"], message: $0["message"],
                               startedMillis: $0["started"], finishedMillis: $0["finished"])
            }
        }
    }

    /// Records a snapshot as started. Only one snapshot runs per store (a
    /// lock says so), so one still `started` was killed: it is marked failed.
    func recordSnapshotStarted(_ id: String, source: String, kind: String, atMillis: Int64) throws(TandemError) {
        try writeTransaction { db in
            try db.execute(sql: "UPDATE snapshot SET status = 'failed', message = 'interrupted' WHERE status = 'started'")
            try db.execute(sql: "INSERT INTO snapshot (id, source, kind, status, started) VALUES (?, ?, ?, 'started', ?)",
                           arguments: [id, source, kind, atMillis])
        }
    }

    /// Records how a snapshot ended, with its result as JSON when it has one.
    func recordSnapshotEnded(_ id: String, status: String, message: String, resultJSON: String?, atMillis: Int64) throws(TandemError) {
        try writeTransaction { db in
            try db.execute(sql: "UPDATE snapshot SET status = ?, message = ?, finished = ?, result = ? WHERE id = ?",
                           arguments: [status, message, atMillis, resultJSON, id])
        }
    }
}
