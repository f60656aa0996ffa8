import GRDB

/// A row of the `entry` table, read into the two views it stores.
struct EntryRecord: Sendable {
    var rowID: Int64?
    var context: String
    var key: String
    var views: EntryViews
    var arrival: Int64
    /// How many conflict versions the stored row had, so saving skips the
    /// `conflict_version` table when there were none and are none.
    private var storedOthers: Int64 = 0

    /// The condition of the `entry_waiting` partial index; a query must
    /// repeat it word for word for SQLite to use the index.
    static let waitingTerm = "state <> 'in-sync'"

    static let columns = """
        id, context, key, local_kind, local_value, local_vv, local_wall, local_counter, local_origin, local_schema,
        vault_value, vault_vv, vault_wall, vault_counter, vault_origin, vault_schema, vault_others, refused_vv, arrival
        """

    enum LocalKind: Int64 {
        case absent = 0, vaultHead = 1, own = 2
    }

    /// Reads a row selected with ``columns``; the conflict versions, when the row
    /// says it has some, come from `others`.
    init(row: Row, path: String, knownSchema: Int, others: () throws -> [EntryVersion]) throws {
        rowID = row[0]
        context = row[1]
        key = row[2]
        arrival = row[18]
        storedOthers = row[16]
        let head = try Self.version(row, from: 10, path: path)
        var frontier = Frontier(head.map { [$0] } ?? [])
        if (row[16] as Int64) > 0 {
            for other in try others() { frontier.add(other) }
        }
        let local: EntryVersion?
        switch LocalKind(rawValue: row[3]) {
        case .absent: local = nil
        case .vaultHead:
            guard let head else { throw TandemError.storeCorrupt(path: path, reason: "entry \(context)/\(Escaped.text(key)) points at a missing vault version") }
            local = head
        case .own: local = try Self.version(row, from: 4, path: path)
        case nil: throw TandemError.storeCorrupt(path: path, reason: "entry \(context)/\(Escaped.text(key)) has an unknown local kind")
        }
        let refused: VersionVector? = try (row[17] as String?).map { text in
            guard let vector = VersionVector(compactText: text) else { throw TandemError.storeCorrupt(path: path, reason: "bad refused vector") }
            return vector
        }
        views = EntryViews(local: local, frontier: frontier, refused: refused, knownSchema: knownSchema)
    }

    init(context: String, key: String, knownSchema: Int) {
        self.context = context
        self.key = key
        self.views = EntryViews(local: nil, frontier: Frontier(), knownSchema: knownSchema)
        self.arrival = 0
    }

    /// Reads the six columns of a version starting at `start`: value, vv, wall,
    /// counter, origin, schema. Nil when the vv column is NULL.
    static func version(_ row: Row, from start: Int, path: String) throws -> EntryVersion? {
        guard let vectorText = row[start + 1] as String? else { return nil }
        guard let vector = VersionVector(compactText: vectorText),
              let origin = DeviceID(validating: row[start + 4]) else {
            throw TandemError.storeCorrupt(path: path, reason: "bad version columns")
        }
        return EntryVersion(
            value: row[start], vector: vector,
            timestamp: HLCTimestamp(wallMillis: row[start + 2], counter: UInt32(truncatingIfNeeded: row[start + 3] as Int64)),
            origin: origin, schema: row[start + 5])
    }

    static func arguments(_ version: EntryVersion?) -> [(any DatabaseValueConvertible)?] {
        guard let version else { return [nil, nil, nil, nil, nil, nil] }
        return [version.value, version.vector.compactText, version.timestamp.wallMillis, Int64(version.timestamp.counter), version.origin.rawValue, version.schema]
    }

    static func rawValues(_ version: EntryVersion?) -> [RawValue] {
        guard let version else { return [.null, .null, .null, .null, .null, .null] }
        return [version.value.map { .text($0) } ?? .null, .text(version.vector.compactText), .integer(version.timestamp.wallMillis),
                .integer(Int64(version.timestamp.counter)), .text(version.origin.rawValue), .integer(Int64(version.schema))]
    }

    /// Writes the row back (insert or update), with its conflict versions;
    /// afterwards the record knows its row id and stored conflict versions.
    mutating func save(_ db: Database) throws {
        let head = views.frontier.head
        let localKind: LocalKind
        if views.local == nil { localKind = .absent }
        else if let head, views.local == head { localKind = .vaultHead }
        else { localKind = .own }
        let others = views.frontier.others
        var values: [RawValue] = [.text(context), .text(key), .integer(localKind.rawValue)]
        values.reserveCapacity(20)
        values += Self.rawValues(localKind == .own ? views.local : nil)
        values += Self.rawValues(head)
        values += [.integer(Int64(others.count)), views.refused.map { .text($0.compactText) } ?? .null,
                   views.state.map { .text($0.rawValue) } ?? .null, .integer(arrival)]
        if let rowID {
            let statement = try db.cachedStatement(sql: """
                UPDATE entry SET context = ?, key = ?, local_kind = ?, local_value = ?, local_vv = ?, local_wall = ?, local_counter = ?,
                local_origin = ?, local_schema = ?, vault_value = ?, vault_vv = ?, vault_wall = ?, vault_counter = ?, vault_origin = ?,
                vault_schema = ?, vault_others = ?, refused_vv = ?, state = ?, arrival = ? WHERE id = ?
                """)
            try statement.runRaw(values + [.integer(rowID)], in: db)
        } else {
            let statement = try db.cachedStatement(sql: """
                INSERT INTO entry (context, key, local_kind, local_value, local_vv, local_wall, local_counter, local_origin, local_schema,
                vault_value, vault_vv, vault_wall, vault_counter, vault_origin, vault_schema, vault_others, refused_vv, state, arrival)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try statement.runRaw(values, in: db)
            rowID = db.lastInsertedRowID
        }
        try saveOthers(db, others)
        storedOthers = Int64(others.count)
    }

    /// Conflict versions are rare: the table is touched only when the row has
    /// or had some.
    private func saveOthers(_ db: Database, _ others: [EntryVersion]) throws {
        guard storedOthers > 0 || !others.isEmpty else { return }
        try db.execute(sql: "DELETE FROM conflict_version WHERE context = ? AND key = ?", arguments: [context, key])
        for other in others {
            try db.execute(sql: """
                INSERT INTO conflict_version (context, key, value, vv, wall, counter, origin, schema) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: StatementArguments([context, key] + Self.arguments(other)))
        }
    }
}
