import GRDB

/// One line of an entry list: enough to draw it, without its versions, so a
/// list of 100,000 entries costs a few megabytes and one query.
public struct EntryRow: Sendable, Hashable {
    public var context: String
    public var key: String
    public var state: EntryState
    /// For incoming and refused changes: insert, edit or deletion.
    public var kind: ChangeKind?
    /// The start of the value a list shows: the incoming one for an incoming
    /// change, else this device's; nil for a deletion or an absent entry.
    public var preview: String?
    /// Who wrote the vault's head version (the deterministic winner), and when.
    public var origin: DeviceID?
    public var wallMillis: Int64?
    /// The schema of this device's value; nil when it has none (absent or deleted).
    public var schema: Int?

    public init(context: String, key: String, state: EntryState, kind: ChangeKind? = nil, preview: String? = nil,
                origin: DeviceID? = nil, wallMillis: Int64? = nil, schema: Int? = nil) {
        self.context = context
        self.key = key
        self.state = state
        self.kind = kind
        self.preview = preview.map(Self.shortened)
        self.origin = origin
        self.wallMillis = wallMillis
        self.schema = schema
    }

    /// The row of a full status: what a list shows of it.
    public init(_ status: EntryStatus) {
        let incoming = status.state == .incoming || status.state == .refused
        let head = status.vault.first
        self.init(context: status.context, key: status.key, state: status.state, kind: status.incomingKind,
                  preview: incoming ? head?.value : status.value, origin: head?.origin, wallMillis: head?.timestamp.wallMillis,
                  schema: status.local.flatMap { $0.isDeletion ? nil : $0.schema })
    }

    /// How much of a value a row keeps: more than any list line shows.
    public static let previewLength = 160

    static func shortened(_ text: String) -> String {
        text.count <= previewLength ? text : String(text.prefix(previewLength))
    }
}

extension DeviceStore {
    /// Every entry as a list row, in natural order of context and key
    /// (`k2` before `k10`): one narrow query that reads no version vectors
    /// and only the start of each value.
    public func entryRows() throws(TandemError) -> [EntryRow] {
        NaturalOrder.sorted(try read { db in try self.entryRows(db) }, context: \.context, key: \.key)
    }

    /// The columns of the rows query, by name; a name's place in the row is
    /// its raw value.
    private enum RowColumn: Int {
        case context, key, state, localKind, localPreview, localIsNull, vaultPreview, vaultIsNull, vaultVVIsNull, vaultOrigin, vaultWall, schema
    }

    func entryRows(_ db: Database) throws -> [EntryRow] {
        let length = EntryRow.previewLength
        var rows: [EntryRow] = []
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT context, key, state, local_kind, substr(local_value, 1, \(length)), local_value IS NULL,
                   substr(vault_value, 1, \(length)), vault_value IS NULL, vault_vv IS NULL, vault_origin, vault_wall,
                   CASE local_kind WHEN 2 THEN local_schema WHEN 1 THEN vault_schema END
            FROM entry WHERE state IS NOT NULL ORDER BY context, key
            """)
        while let row = try cursor.next() {
            guard let state = EntryState(rawValue: row[RowColumn.state.rawValue]) else { continue }
            let localKind = EntryRecord.LocalKind(rawValue: row[RowColumn.localKind.rawValue]) ?? .absent
            let vaultValue: String? = row[RowColumn.vaultPreview.rawValue]
            let localValue: String? = localKind == .own ? row[RowColumn.localPreview.rawValue] : localKind == .vaultHead ? vaultValue : nil
            let vaultIsNull: Bool = row[RowColumn.vaultIsNull.rawValue]
            let localLive = localKind == .own ? !(row[RowColumn.localIsNull.rawValue] as Bool) : localKind == .vaultHead ? !vaultIsNull : false
            let waiting = state == .incoming || state == .refused
            var kind: ChangeKind?
            if waiting { kind = ChangeKind(deletes: vaultIsNull && !(row[RowColumn.vaultVVIsNull.rawValue] as Bool), localLive: localLive) }
            rows.append(EntryRow(context: row[RowColumn.context.rawValue], key: row[RowColumn.key.rawValue], state: state, kind: kind, preview: waiting ? vaultValue : localValue,
                                 origin: (row[RowColumn.vaultOrigin.rawValue] as String?).flatMap(DeviceID.init(validating:)), wallMillis: row[RowColumn.vaultWall.rawValue],
                                 schema: localLive ? row[RowColumn.schema.rawValue] : nil))
        }
        return rows
    }
}

extension StateCounts {
    /// The counts of a list of rows; `waitingToPush` comes from the outbox.
    public init(rows: [EntryRow], waitingToPush: Int) {
        self.init()
        for row in rows { add(row.state, 1) }
        self.waitingToPush = waitingToPush
    }
}

extension ContextSummary {
    /// One summary per context of `rows`, of every context with a policy, and
    /// of every context with a schema version (`schemas`: those not at 1),
    /// sorted by name. ``DeviceStore/contexts()`` answers with it; the UI
    /// calls it on the rows it read anyway, so the table is read once.
    public static func summaries(of rows: [EntryRow], policies: [String: SyncPolicy], schemas: [String: Int]) -> [ContextSummary] {
        var summaries: [String: ContextSummary] = [:]
        func summary(_ name: String) -> ContextSummary {
            summaries[name] ?? ContextSummary(name: name, policy: policies[name] ?? .review, entries: 0, states: [:], schema: schemas[name] ?? 1)
        }
        for row in rows {
            var current = summary(row.context)
            current.entries += 1
            current.states[row.state.rawValue, default: 0] += 1
            if let schema = row.schema { current.entriesBySchema[schema, default: 0] += 1 }
            summaries[row.context] = current
        }
        for name in Array(policies.keys) + Array(schemas.keys) where summaries[name] == nil {
            summaries[name] = summary(name)
        }
        return summaries.values.sorted { $0.name < $1.name }
    }
}

extension DeviceStore {
    /// How many changes wait in the outbox to be pushed.
    public func outboxCount() throws(TandemError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 }
    }
}
