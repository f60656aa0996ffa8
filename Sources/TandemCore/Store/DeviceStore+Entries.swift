import GRDB

extension DeviceStore {
    /// The result of a local write.
    public enum WriteOutcome: Sendable, Equatable {
        /// A new version, queued for the next push.
        case written(EntryVersion)
        /// The entry already held this value (or was already absent): no new version.
        case unchanged
    }

    /// Writes a value (canonical JSON) or, with `nil`, a deletion, locally and at
    /// once; the change waits in the outbox for the next push.
    ///
    /// A write is based on what this device has (and on a vault version it
    /// refused, which counts as seen); a vault version still waiting for a
    /// decision is not seen, so writing over it makes a conflict, not a silent loss.
    @discardableResult
    public func write(context: String, key: String, value: String?) throws(TandemError) -> WriteOutcome {
        let context = try Validation.contextName(context)
        let key = try Validation.key(key)
        let canonical = try value.map { text throws(TandemError) in try Validation.canonicalValue(text) }
        return try writeTransaction { db in
            var stamps = try LocalStamps(db, me: self.info(db).id)
            let outcome = try self.writeOne(db, context: context, key: key, canonical: canonical, schema: self.schemaVersion(db, context: context),
                                            stamps: &stamps)
            try stamps.save(db)
            return outcome
        }
    }

    /// One entry of a batch (`write(_:)`): a context, a key, and a value in
    /// canonical JSON or nil for a deletion.
    public struct BatchWrite: Sendable, Equatable {
        public var context: String
        public var key: String
        public var value: String?
        /// Made here from a parsed value: canonical already, not parsed again.
        var isCanonical = false

        public init(context: String, key: String, value: String?) {
            self.context = context
            self.key = key
            self.value = value
        }

        /// An entry whose value is parsed already (an import's line): it is
        /// written as its canonical JSON without being read again; nil deletes.
        public init(context: String, key: String, json: JSONValue?) {
            self.context = context
            self.key = key
            self.value = json?.canonicalText
            isCanonical = true
        }

        /// The same write, however its value was given.
        public static func == (lhs: BatchWrite, rhs: BatchWrite) -> Bool {
            lhs.context == rhs.context && lhs.key == rhs.key && lhs.value == rhs.value
        }
    }

    /// What a batch wrote.
    public struct BatchOutcome: Sendable, Equatable {
        /// Entries that got a new version.
        public var written = 0
        /// Entries that already held their value (or were already absent).
        public var unchanged = 0
    }

    /// Writes every entry of `batch` in one transaction, as `write` writes
    /// one: either all of it is written or, on the first error, none.
    /// Deleting an entry that is absent changes nothing.
    @discardableResult
    public func write(_ batch: [BatchWrite], progress: (Int) -> Void = { _ in }) throws(TandemError) -> BatchOutcome {
        let checked = try batch.map { item throws(TandemError) in
            BatchWrite(context: try Validation.contextName(item.context), key: try Validation.key(item.key),
                       value: try item.value.map { text throws(TandemError) in
                           try item.isCanonical ? Validation.sizeChecked(text) : Validation.canonicalValue(text)
                       })
        }
        return try writeTransaction { db in
            var outcome = BatchOutcome()
            var stamps = try LocalStamps(db, me: self.info(db).id)
            var schemas: [String: Int] = [:]
            // What the outbox holds, read once: a fresh import's entries have nothing
            // queued, and asking per entry cost two statements each.
            var queued = Set<EntryName>()
            for row in try Row.fetchAll(db, sql: "SELECT context, key FROM outbox") { queued.insert(EntryName(context: row[0], key: row[1])) }
            for (index, item) in checked.enumerated() {
                let schema = try schemas[item.context] ?? self.schemaVersion(db, context: item.context)
                schemas[item.context] = schema
                do {
                    if case .written = try self.writeOne(db, context: item.context, key: item.key, canonical: item.value, schema: schema,
                                                         stamps: &stamps, queuedHere: queued.contains(EntryName(context: item.context, key: item.key))) {
                        outcome.written += 1
                    } else {
                        outcome.unchanged += 1
                    }
                } catch TandemError.noSuchEntry {
                    outcome.unchanged += 1
                }
                if index % 1000 == 999 { progress(index + 1) }
            }
            try stamps.save(db)
            return outcome
        }
    }

    /// One local write, inside the caller's transaction.
    private func writeOne(_ db: Database, context: String, key: String, canonical: String?, schema: Int,
                          stamps: inout LocalStamps, queuedHere: Bool = true) throws -> WriteOutcome {
        var record = try self.record(db, context: context, key: key, knownSchema: schema) ?? EntryRecord(context: context, key: key, knownSchema: schema)
        if record.views.state == .needsNewerApp, let newer = record.views.newerSchema {
            throw TandemError.needsNewerApp(context: context, key: key, schema: newer, known: schema)
        }
        let local = record.views.local
        if local?.value == canonical && (canonical != nil || local != nil) { return .unchanged }
        if canonical == nil && (local == nil || local?.isDeletion == true) {
            throw TandemError.noSuchEntry(context: context, key: key)
        }
        let seen = (local?.vector ?? VersionVector()).merged(with: record.views.refused ?? VersionVector())
        return .written(try publishLocal(db, &record, value: canonical, seen: seen, schema: schema, stamps: &stamps, queuedHere: queuedHere))
    }

    /// Makes `value` the local version, having seen `seen`, queues it, saves the row.
    ///
    /// The new version takes the place of this device's version of the entry
    /// still waiting in the outbox, so it also counts that one as seen: local
    /// may have moved on to another device's version meanwhile (accept, a
    /// handler, in a sync that did not push), and a new version that did not
    /// dominate the queued one would drop that write without a trace.
    func publishLocal(_ db: Database, _ record: inout EntryRecord, value: String?, seen: VersionVector, schema: Int) throws -> EntryVersion {
        var stamps = try LocalStamps(db, me: info(db).id)
        let version = try publishLocal(db, &record, value: value, seen: seen, schema: schema, stamps: &stamps)
        try stamps.save(db)
        return version
    }

    /// `publishLocal` stamped from `stamps`, which the caller saves.
    /// `queuedHere` false says the caller knows the outbox holds nothing of
    /// this entry (a batch read the outbox's names once).
    func publishLocal(_ db: Database, _ record: inout EntryRecord, value: String?, seen: VersionVector, schema: Int,
                      stamps: inout LocalStamps, queuedHere: Bool = true) throws -> EntryVersion {
        var seen = seen
        if queuedHere, let queued = try String.fetchOne(db.cachedStatement(sql: "SELECT vv FROM outbox WHERE context = ? AND key = ?"),
                                            arguments: [record.context, record.key]) {
            guard let vector = VersionVector(compactText: queued) else {
                throw TandemError.storeCorrupt(path: path, reason: "bad version vector in the outbox")
            }
            seen = seen.merged(with: vector)
        }
        let now = clock.nowMillis()
        let stamp = stamps.next(now: now)
        let version = EntryVersion(value: value, vector: seen.setting(stamps.me, to: stamp.counter), timestamp: stamp.timestamp, origin: stamps.me,
                                   schema: schema)
        record.views.local = version
        record.views.refused = nil
        try self.save(&record, db)
        // Cached: an import runs these once per entry.
        if queuedHere {
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO replaced_outbox (context, key, value, vv, origin)
                SELECT context, key, value, vv, origin FROM outbox WHERE context = ? AND key = ?
                """).execute(arguments: [record.context, record.key])
        }
        try queue(db, context: record.context, key: record.key, version, queuedAt: now)
        return version
    }

    /// Makes `version` the entry's change waiting in the outbox, in place of
    /// the one waiting there, if any.
    func queue(_ db: Database, context: String, key: String, _ version: EntryVersion, queuedAt: Int64) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO outbox (context, key, value, vv, wall, counter, origin, schema, queued) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: StatementArguments([context, key] + EntryRecord.arguments(version) + [queuedAt]))
    }

    func record(_ db: Database, context: String, key: String, knownSchema: Int? = nil) throws -> EntryRecord? {
        let statement = try db.cachedStatement(sql: "SELECT \(EntryRecord.columns) FROM entry WHERE context = ? AND key = ?")
        guard let row = try Row.fetchOne(statement, arguments: [context, key]) else { return nil }
        return try EntryRecord(row: row, path: path, knownSchema: try knownSchema ?? schemaVersion(db, context: context)) {
            try self.conflictVersions(db, context: context, key: key)
        }
    }

    /// Read once per conflicted row of every list and every pulled change:
    /// a cached statement, so SQLite parses it once per connection.
    func conflictVersions(_ db: Database, context: String, key: String) throws -> [EntryVersion] {
        let statement = try db.cachedStatement(sql: "SELECT value, vv, wall, counter, origin, schema FROM conflict_version WHERE context = ? AND key = ?")
        return try Row.fetchAll(statement, arguments: [context, key]).compactMap { try EntryRecord.version($0, from: 0, path: path) }
    }

    /// Rows selected by `sql` (what follows `FROM entry`). The statement is
    /// cached: callers keep the set of distinct `sql` texts small.
    func records(_ db: Database, sql: String, arguments: StatementArguments) throws -> [EntryRecord] {
        let schemas = try schemaVersions(db)
        let statement = try db.cachedStatement(sql: "SELECT \(EntryRecord.columns) FROM entry " + sql)
        return try Row.fetchAll(statement, arguments: arguments).map { row in
            try EntryRecord(row: row, path: path, knownSchema: schemas[row[EntryRecord.Columns.context.index] as String] ?? 1) {
                try self.conflictVersions(db, context: row[1], key: row[2])
            }
        }
    }

    /// One entry's status; nil when this device knows nothing of it.
    public func entry(context: String, key: String) throws(TandemError) -> EntryStatus? {
        let context = try Validation.contextName(context)
        let key = try Validation.key(key)
        return try read { db in
            guard let record = try self.record(db, context: context, key: key), let state = record.views.state else { return nil }
            return EntryStatus(context: context, key: key, views: record.views, state: state)
        }
    }

    /// Entries of one context (or all), optionally only those in `states`,
    /// in natural order of context and key (`k2` before `k10`); with a
    /// `limit`, the first ones in byte order.
    public func entries(context: String? = nil, states: Set<EntryState>? = nil, limit: Int? = nil) throws(TandemError) -> [EntryStatus] {
        let context = try context.map { name throws(TandemError) in try Validation.contextName(name) }
        var conditions = ["state IS NOT NULL"]
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let context {
            conditions.append("context = ?")
            arguments.append(context)
        }
        if let states {
            conditions.append("state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
            if !states.contains(.inSync) { conditions.append(EntryRecord.waitingTerm) }
            arguments += states.map(\.rawValue)
        }
        let sql = "WHERE \(conditions.joined(separator: " AND ")) ORDER BY context, key" + (limit.map { " LIMIT \($0)" } ?? "")
        let entries = try read { db in
            try self.records(db, sql: sql, arguments: StatementArguments(arguments)).compactMap { record in
                record.views.state.map { EntryStatus(context: record.context, key: record.key, views: record.views, state: $0) }
            }
        }
        return limit == nil ? NaturalOrder.sorted(entries, context: \.context, key: \.key) : entries
    }

    /// The entries whose value here or in the vault contains `text`, ignoring
    /// ASCII case: what a list filter matches beyond the start of a value
    /// that its rows hold.
    public func entryNames(withValueContaining text: String) throws(TandemError) -> Set<EntryName> {
        guard !text.isEmpty else { return [] }
        return try read { db in
            var names = Set<EntryName>()
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT context, key FROM entry WHERE state IS NOT NULL
                AND (instr(lower(local_value), lower(?1)) > 0 OR instr(lower(vault_value), lower(?1)) > 0)
                """, arguments: [text])
            while let row = try cursor.next() { names.insert(EntryName(context: row[0], key: row[1])) }
            return names
        }
    }

    /// Counts of entries in each state, and of changes waiting to be pushed.
    public func counts(context: String? = nil) throws(TandemError) -> StateCounts {
        try read { db in
            var counts = StateCounts()
            let filter = context == nil ? "" : " AND context = ?"
            let arguments: StatementArguments = context.map { [$0] } ?? []
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM entry WHERE state IS NOT NULL\(filter) GROUP BY state", arguments: arguments) {
                if let state = EntryState(rawValue: row[0]) { counts.add(state, row[1]) }
            }
            counts.waitingToPush = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox" + (context == nil ? "" : " WHERE context = ?"), arguments: arguments) ?? 0
            return counts
        }
    }

    /// Counts of what waits (incoming, conflicts, refused, outgoing and the
    /// outbox), read through the state index: cheap however large the store.
    /// The in-sync count is left at zero.
    public func pendingCounts() throws(TandemError) -> StateCounts {
        try read { db in try pendingCounts(db) }
    }

    func pendingCounts(_ db: Database) throws -> StateCounts {
        var counts = StateCounts()
        for state in EntryState.allCases where state != .inSync {
            counts.add(state, try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM entry WHERE state = ? AND \(EntryRecord.waitingTerm)"),
                                              arguments: [state.rawValue]) ?? 0)
        }
        counts.waitingToPush = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM outbox")) ?? 0
        return counts
    }

    /// Every context this device knows, with its policy, schema version and counts.
    public func contexts() throws(TandemError) -> [ContextSummary] {
        let policies = try self.policies()
        return try read { db in
            ContextSummary.summaries(of: try self.entryRows(db), policies: policies, schemas: try self.schemaVersions(db))
        }
    }

    /// Forgets everything local of one context, as if the app had been
    /// reinstalled: local values, unpushed writes and refusals go; the vault view
    /// stays, so every vault entry comes back as an incoming insert.
    @discardableResult
    public func wipeLocalContext(_ context: String) throws(TandemError) -> Int {
        let context = try Validation.contextName(context)
        return try writeTransaction { db in
            try db.execute(sql: "DELETE FROM outbox WHERE context = ?", arguments: [context])
            var arrival = try StoreMeta.number(db, .arrival, as: Int64.self) ?? 0
            var count = 0
            for var record in try self.records(db, sql: "WHERE context = ?", arguments: [context]) {
                count += record.views.local == nil ? 0 : 1
                record.views.local = nil
                record.views.refused = nil
                if record.views.frontier.isEmpty {
                    try self.removeEntry(db, context: context, key: record.key)
                    continue
                }
                arrival += 1
                record.arrival = arrival
                _ = try self.settle(db, &record, policy: .review, catalog: nil)
                try self.save(&record, db)
            }
            try StoreMeta.set(db, .arrival, String(arrival))
            try self.log(db, "wiped local data of context \(context) (\(count) entries)")
            return count
        }
    }
}
