import GRDB

/// A row of the `entry` table, read into the two views it stores.
struct EntryRecord: Sendable {
    var rowID: Int64?
    var context: String
    var key: String
    var views: EntryViews
    var arrival: Int64
    /// The conflict versions the stored row has, so that saving touches the
    /// `conflict_version` table only when they changed: a hot key's losers
    /// stay the same through most of the changes that reach it.
    private var storedOthers: [EntryVersion] = []
    /// The row's `conflict_settled` mark as stored; false on rows written
    /// before the mark existed, until a sync settles them again.
    private(set) var storedSettled = false

    /// The condition of the `entry_waiting` partial index; a query must
    /// repeat it word for word for SQLite to use the index.
    static let waitingTerm = "state <> 'in-sync'"

    /// The condition of the `entry_unsettled` partial index: waiting rows
    /// other than conflicts already settled on their winner, i.e. what an
    /// accept sync or a handler may still have to do. A person who never
    /// resolves conflicts keeps them listed forever; leaving them out keeps
    /// each sync's cost to what changed.
    static let unsettledTerm = "state <> 'in-sync' AND conflict_settled = 0"

    /// The columns a record is read from, in the order ``columns`` selects
    /// them: a row is read by these names, and a name's place in the row is
    /// its raw value, so a read costs no lookup by string.
    enum Columns: Int, CaseIterable {
        case id, context, key, localKind
        case localValue, localVV, localWall, localCounter, localOrigin, localSchema
        case vaultValue, vaultVV, vaultWall, vaultCounter, vaultOrigin, vaultSchema
        case vaultOthers, refusedVV, arrival, conflictSettled

        var index: Int { rawValue }

        var name: String {
            switch self {
            case .id: "id"
            case .context: "context"
            case .key: "key"
            case .localKind: "local_kind"
            case .localValue: "local_value"
            case .localVV: "local_vv"
            case .localWall: "local_wall"
            case .localCounter: "local_counter"
            case .localOrigin: "local_origin"
            case .localSchema: "local_schema"
            case .vaultValue: "vault_value"
            case .vaultVV: "vault_vv"
            case .vaultWall: "vault_wall"
            case .vaultCounter: "vault_counter"
            case .vaultOrigin: "vault_origin"
            case .vaultSchema: "vault_schema"
            case .vaultOthers: "vault_others"
            case .refusedVV: "refused_vv"
            case .arrival: "arrival"
            case .conflictSettled: "conflict_settled"
            }
        }
    }

    static let columns = Columns.allCases.map(\.name).joined(separator: ", ")

    enum LocalKind: Int64 {
        case absent = 0, vaultHead = 1, own = 2
    }

    /// Reads a row selected with ``columns``; the conflict versions, when the row
    /// says it has some, come from `others`.
    init(row: Row, path: String, knownSchema: Int, others: () throws -> [EntryVersion]) throws {
        rowID = row[Columns.id.index]
        context = row[Columns.context.index]
        key = row[Columns.key.index]
        arrival = row[Columns.arrival.index]
        storedSettled = row[Columns.conflictSettled.index]
        let head = try Self.version(row, from: .vaultValue, path: path)
        var frontier = Frontier(head.map { [$0] } ?? [])
        if (row[Columns.vaultOthers.index] as Int64) > 0 {
            for other in try others() { frontier.add(other) }
        }
        let local: EntryVersion?
        switch LocalKind(rawValue: row[Columns.localKind.index]) {
        case .absent: local = nil
        case .vaultHead:
            guard let head else { throw TandemError.storeCorrupt(path: path, reason: "entry \(Escaped.entry(context, key)) points at a missing vault version") }
            local = head
        case .own: local = try Self.version(row, from: .localValue, path: path)
        case nil: throw TandemError.storeCorrupt(path: path, reason: "entry \(Escaped.entry(context, key)) has an unknown local kind")
        }
        let refused: VersionVector? = try (row[Columns.refusedVV.index] as String?).map { text in
            guard let vector = VersionVector(compactText: text) else { throw TandemError.storeCorrupt(path: path, reason: "bad refused vector") }
            return vector
        }
        views = EntryViews(local: local, frontier: frontier, refused: refused, knownSchema: knownSchema)
        storedOthers = frontier.others
    }

    /// A conflict whose local view is already its winner: accept and
    /// handlers have nothing left to do with it until another version of
    /// the entry arrives (which saves the row again).
    var isSettledConflict: Bool { Self.isSettledConflict(views, state: views.state) }

    private static func isSettledConflict(_ views: EntryViews, state: EntryState?) -> Bool {
        state == .conflict && views.conflictWinner == views.local
    }

    init(context: String, key: String, knownSchema: Int) {
        self.context = context
        self.key = key
        self.views = EntryViews(local: nil, frontier: Frontier(), knownSchema: knownSchema)
        self.arrival = 0
    }

    /// Reads the six columns of a version starting at `first` (its value):
    /// value, vv, wall, counter, origin, schema. Nil when the vv column is NULL.
    static func version(_ row: Row, from first: Columns, path: String) throws -> EntryVersion? {
        try version(row, from: first.index, path: path)
    }

    /// The same, from a row of another query whose six version columns start at `start`.
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
        let state = views.state
        let settled = Self.isSettledConflict(views, state: state)
        values += [.integer(Int64(others.count)), views.refused.map { .text($0.compactText) } ?? .null,
                   state.map { .text($0.rawValue) } ?? .null, .integer(arrival), .integer(settled ? 1 : 0)]
        if let rowID {
            let statement = try db.cachedStatement(sql: """
                UPDATE entry SET context = ?, key = ?, local_kind = ?, local_value = ?, local_vv = ?, local_wall = ?, local_counter = ?,
                local_origin = ?, local_schema = ?, vault_value = ?, vault_vv = ?, vault_wall = ?, vault_counter = ?, vault_origin = ?,
                vault_schema = ?, vault_others = ?, refused_vv = ?, state = ?, arrival = ?, conflict_settled = ? WHERE id = ?
                """)
            try statement.runRaw(values + [.integer(rowID)], in: db)
        } else {
            let statement = try db.cachedStatement(sql: """
                INSERT INTO entry (context, key, local_kind, local_value, local_vv, local_wall, local_counter, local_origin, local_schema,
                vault_value, vault_vv, vault_wall, vault_counter, vault_origin, vault_schema, vault_others, refused_vv, state, arrival,
                conflict_settled)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try statement.runRaw(values, in: db)
            rowID = db.lastInsertedRowID
        }
        try saveOthers(db, others)
        storedOthers = others
        storedSettled = settled
    }

    /// Replaces the row's conflict versions when they changed.
    private func saveOthers(_ db: Database, _ others: [EntryVersion]) throws {
        guard others != storedOthers else { return }
        try db.cachedStatement(sql: "DELETE FROM conflict_version WHERE context = ? AND key = ?").execute(arguments: [context, key])
        let insert = try db.cachedStatement(sql: """
            INSERT INTO conflict_version (context, key, value, vv, wall, counter, origin, schema) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for other in others {
            try insert.execute(arguments: StatementArguments([context, key] + Self.arguments(other)))
        }
    }
}
