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

    public init(context: String, key: String, state: EntryState, kind: ChangeKind? = nil, preview: String? = nil,
                origin: DeviceID? = nil, wallMillis: Int64? = nil) {
        self.context = context
        self.key = key
        self.state = state
        self.kind = kind
        self.preview = preview.map(Self.shortened)
        self.origin = origin
        self.wallMillis = wallMillis
    }

    /// The row of a full status: what a list shows of it.
    public init(_ status: EntryStatus) {
        let incoming = status.state == .incoming || status.state == .refused
        let head = status.vault.first
        self.init(context: status.context, key: status.key, state: status.state, kind: status.incomingKind,
                  preview: incoming ? head?.value : status.value, origin: head?.origin, wallMillis: head?.timestamp.wallMillis)
    }

    /// How much of a value a row keeps: more than any list line shows.
    public static let previewLength = 160

    static func shortened(_ text: String) -> String {
        text.count <= previewLength ? text : String(text.prefix(previewLength))
    }
}

extension DeviceStore {
    /// Every entry as a list row, ordered by context and key: one narrow query
    /// that reads no version vectors and only the start of each value.
    public func entryRows() throws(TandemError) -> [EntryRow] {
        let length = EntryRow.previewLength
        return try read { db in
            var rows: [EntryRow] = []
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT context, key, state, local_kind, substr(local_value, 1, \(length)), local_value IS NULL,
                       substr(vault_value, 1, \(length)), vault_value IS NULL, vault_vv IS NULL, vault_origin, vault_wall
                FROM entry WHERE state IS NOT NULL ORDER BY context, key
                """)
            while let row = try cursor.next() {
                guard let state = EntryState(rawValue: row[2]) else { continue }
                let localKind = EntryRecord.LocalKind(rawValue: row[3]) ?? .absent
                let vaultValue: String? = row[6]
                let localValue: String? = localKind == .own ? row[4] : localKind == .vaultHead ? vaultValue : nil
                let localLive = localKind == .own ? !(row[5] as Bool) : localKind == .vaultHead ? !(row[7] as Bool) : false
                let waiting = state == .incoming || state == .refused
                var kind: ChangeKind?
                if waiting { kind = (row[7] as Bool) && !(row[8] as Bool) ? .deletion : localLive ? .edit : .insert }
                rows.append(EntryRow(context: row[0], key: row[1], state: state, kind: kind, preview: waiting ? vaultValue : localValue,
                                     origin: (row[9] as String?).flatMap(DeviceID.init(validating:)), wallMillis: row[10]))
            }
            return rows
        }
    }
}
