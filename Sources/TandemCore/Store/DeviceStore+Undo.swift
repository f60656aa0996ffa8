import Foundation
import GRDB

/// A decision taken back by ``Device/undoLastDecision()``.
public struct UndoneDecision: Sendable {
    /// What was taken back: `accept`, `refuse`, `keep-mine`, `keep-local`, `merge` or `take-remote …`.
    public var label: String
    /// The entry as it is now (of an action on several, the last one decided).
    public var status: EntryStatus
    /// How many entries the action decided, and how many of them changed
    /// since and were left as they are.
    public var count = 1
    public var changedSince = 0
}

/// Several decisions taken as one action (accept all shown), which one
/// undo takes back; see ``DeviceStore/newAction()``.
public struct UndoAction: Sendable, Hashable {
    public let id: Int64
}

extension DeviceStore {
    /// How many actions are kept for undo; older ones are forgotten.
    static let undoDepth = 50

    /// A new action for decisions that one undo should take back together.
    public func newAction() throws(TandemError) -> UndoAction {
        try writeTransaction { db in
            UndoAction(id: (try Int64.fetchOne(db, sql: "SELECT max(coalesce(action, 0)) FROM undo") ?? 0) + 1)
        }
    }

    /// Takes back the latest action in the store; ``Device/undoLastDecision()``
    /// first makes sure no sync is publishing it.
    func undoLatestAction() throws(TandemError) -> UndoneDecision {
        let outcome: Result<UndoneDecision, TandemError> = try writeTransaction { db in
            guard let last = try Row.fetchOne(db, sql: "SELECT id, action FROM undo ORDER BY id DESC LIMIT 1") else {
                return .failure(.cannotUndo(reason: "no decision taken on this device is left to undo"))
            }
            // The latest action: one decision, or all decisions taken together.
            let rows: [Row]
            if let action = last["action"] as Int64? {
                rows = try Row.fetchAll(db, sql: "SELECT id, context, key, label, before, after FROM undo WHERE action = ? ORDER BY id DESC", arguments: [action])
                try db.execute(sql: "DELETE FROM undo WHERE action = ?", arguments: [action])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT id, context, key, label, before, after FROM undo WHERE id = ?", arguments: [last["id"] as Int64])
                try db.execute(sql: "DELETE FROM undo WHERE id = ?", arguments: [last["id"] as Int64])
            }
            var undone: UndoneDecision?
            var refusal: TandemError?
            var changed = 0
            for row in rows {
                let context: String = row["context"], key: String = row["key"], label: String = row["label"]
                guard let before = EntryRows(json: row["before"]), let after = EntryRows(json: row["after"]) else {
                    // Forgotten (the delete above commits), so the one before it can still be taken back.
                    refusal = .cannotUndo(reason: "the record of \(label) of \(Escaped.entry(context, key)) in \(self.path) does not decode")
                    changed += 1
                    continue
                }
                let now = try EntryRows.read(db, context: context, key: key)
                guard now == after else {
                    let why = after.outbox != nil && now.outbox == nil ? "a sync has published it" : "the entry changed since (a sync, a write or a later decision)"
                    refusal = .cannotUndo(reason: "\(label) of \(Escaped.entry(context, key)): \(why)")
                    changed += 1
                    continue
                }
                try before.restore(db, context: context, key: key)
                self.changeFeed.touched(context: context, key: key)
                try self.log(db, "undo \(label) \(Escaped.entry(context, key))")
                let status = try self.status(db, context: context, key: key)
                if undone == nil { undone = UndoneDecision(label: label, status: status) }
            }
            guard var result = undone else { return .failure(refusal ?? .cannotUndo(reason: "nothing to undo")) }
            result.count = rows.count
            result.changedSince = changed
            return .success(result)
        }
        return try outcome.get()
    }

    /// Runs `change` (a decision or a resolution) and records the entry's
    /// rows before and after it, for ``undoLastDecision()``.
    func recordingUndo<T>(_ db: Database, _ label: String, context: String, key: String, action: UndoAction? = nil,
                          _ change: () throws -> T) throws -> T {
        let before = try EntryRows.read(db, context: context, key: key)
        let result = try change()
        let after = try EntryRows.read(db, context: context, key: key)
        try db.execute(sql: "INSERT INTO undo (at, context, key, label, before, after, action) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [clock.nowMillis(), context, key, label, try before.json(), try after.json(), action?.id])
        // The oldest actions beyond the depth are forgotten; not while an
        // action of many decisions records them (that would cost a scan each).
        if action == nil {
            try db.execute(sql: """
                DELETE FROM undo WHERE coalesce(action, -id) NOT IN (
                    SELECT action FROM (SELECT coalesce(action, -id) AS action, max(id) AS latest FROM undo GROUP BY 1 ORDER BY latest DESC LIMIT ?))
                """, arguments: [Self.undoDepth])
        }
        return result
    }
}

/// The rows that make one entry on this device: its `entry` row, its
/// conflict versions and its outbox row, column by column.
struct EntryRows: Codable, Equatable {
    var entry: StoredRow?
    var conflicts: [StoredRow]
    var outbox: StoredRow?

    struct StoredRow: Codable, Equatable {
        var columns: [String]
        var values: [StoredValue]
    }

    enum StoredValue: Codable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob(Data)
    }

    static func read(_ db: Database, context: String, key: String) throws -> EntryRows {
        func rows(_ table: String) throws -> [StoredRow] {
            try Row.fetchAll(db, sql: "SELECT * FROM \(table) WHERE context = ? AND key = ? ORDER BY rowid", arguments: [context, key]).map { row in
                StoredRow(columns: Array(row.columnNames), values: row.databaseValues.map(StoredValue.init))
            }
        }
        return EntryRows(entry: try rows("entry").first, conflicts: try rows("conflict_version"), outbox: try rows("outbox").first)
    }

    /// Puts these rows back in place of the entry's rows now.
    func restore(_ db: Database, context: String, key: String) throws {
        for table in ["conflict_version", "outbox", "entry"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE context = ? AND key = ?", arguments: [context, key])
        }
        func insert(_ row: StoredRow, into table: String) throws {
            let names = row.columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let marks = row.columns.map { _ in "?" }.joined(separator: ", ")
            try db.execute(sql: "INSERT INTO \(table) (\(names)) VALUES (\(marks))",
                           arguments: StatementArguments(row.values.map(\.databaseValue)))
        }
        if let entry { try insert(entry, into: "entry") }
        for conflict in conflicts { try insert(conflict, into: "conflict_version") }
        if let outbox { try insert(outbox, into: "outbox") }
    }

    func json() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    init(entry: StoredRow?, conflicts: [StoredRow], outbox: StoredRow?) {
        self.entry = entry
        self.conflicts = conflicts
        self.outbox = outbox
    }

    init?(json: String) {
        guard let decoded = try? JSONDecoder().decode(EntryRows.self, from: Data(json.utf8)) else { return nil }
        self = decoded
    }
}

extension EntryRows.StoredValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        }
    }
}
