import GRDB

/// Context schema versions and their migrations (DESIGN §8).
///
/// Local data is migrated at the edge, in one transaction, when a context
/// moves to a newer schema; vault data is migrated lazily, when a version of
/// an older schema is applied here, and republished as a new version.
extension DeviceStore {
    // MARK: Versions and steps

    /// The schema version this device knows for `context` (1 unless migrated).
    public func schemaVersion(of context: String) throws(TandemError) -> Int {
        let context = try Validation.contextName(context)
        return try read { db in try self.schemaVersion(db, context: context) }
    }

    /// Registers a migration step written in code; it is used with the steps
    /// `tandem migrate` stored, and wins over a stored step from the same version.
    ///
    /// ```swift
    /// try store.registerMigration(context: "friends", SchemaStep(from: 1, to: 2) { value in
    ///     try FieldOperation.setDefault(path: "/tags", value: .array([])).apply(to: value)
    /// })
    /// ```
    public func registerMigration(context: String, _ step: SchemaStep) throws(TandemError) {
        let context = try Validation.contextName(context)
        guard step.from >= 1, step.to > step.from else {
            throw .invalidMigrationsFile(path: step.source, reason: "migration \(step.from)→\(step.to) must go from a schema ≥ 1 to a greater one")
        }
        registeredSteps.add(step, context: context)
    }

    func schemaVersion(_ db: Database, context: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT schema FROM context WHERE name = ?"), arguments: [context]) ?? 1
    }

    /// The schema version of every context not at 1.
    /// The schema version of every context not at 1.
    public func schemaVersions() throws(TandemError) -> [String: Int] {
        try read { db in try self.schemaVersions(db) }
    }

    func schemaVersions(_ db: Database) throws -> [String: Int] {
        var result: [String: Int] = [:]
        // Read once per pulled segment: a cached statement.
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT name, schema FROM context WHERE schema <> 1")) { result[row[0]] = row[1] }
        return result
    }

    /// Versions and steps, as one transaction sees them.
    func schemaCatalog(_ db: Database) throws -> SchemaCatalog {
        var catalog = SchemaCatalog(versions: try schemaVersions(db))
        for row in try Row.fetchAll(db, sql: "SELECT context, from_version, to_version, source, operations FROM schema_step") {
            let context: String = row[0], source: String = row[3]
            guard case .array(let list) = try JSONParser.parse(row[4] as String) else {
                throw TandemError.storeCorrupt(path: path, reason: "stored migration of \(context) is not a list of operations")
            }
            let operations = try list.map { try FieldOperation(json: $0) }
            catalog.add(SchemaStep(from: row[1], to: row[2], source: source, operations: operations), context: context)
        }
        for (context, steps) in registeredSteps.all {
            for step in steps.values { catalog.add(step, context: context) }
        }
        return catalog
    }

    // MARK: The vault's versions, migrated when applied

    /// Makes `version` the local one. A live version of an older schema is
    /// migrated to the context's schema and published as a new version that
    /// has seen it, so each entry is migrated once, by whichever device
    /// applies it first; a second device doing the same makes the same value,
    /// which is no conflict.
    func adopt(_ db: Database, _ record: inout EntryRecord, _ version: EntryVersion?, catalog: SchemaCatalog) throws {
        let target = record.views.knownSchema
        guard let version, let value = version.value, version.schema < target else {
            record.views.local = version
            return
        }
        let migrated = try catalog.migrate(value, context: record.context, key: record.key, from: version.schema, to: target)
        _ = try publishLocal(db, &record, value: migrated, seen: record.views.seenWithSameContent(as: version), schema: target)
    }

    /// ``adopt(_:_:_:catalog:)`` during a sync: an entry that cannot be
    /// migrated stays waiting, and the log says why, instead of stopping the
    /// sync for every other entry. Without a catalog, a version that needs
    /// migrating waits. Returns whether local took the version.
    @discardableResult
    func adoptOrLog(_ db: Database, _ record: inout EntryRecord, _ version: EntryVersion?, catalog: SchemaCatalog?) throws -> Bool {
        guard let catalog else {
            if let version, !version.isDeletion, version.schema < record.views.knownSchema { return false }
            record.views.local = version
            return true
        }
        do {
            try adopt(db, &record, version, catalog: catalog)
            return true
        } catch let error as TandemError {
            guard case .migrationFailed = error else { throw error }
            try log(db, error.description, level: "warning")
            return false
        }
    }

    // MARK: Local entries, migrated at the edge

    /// Moves `context` to schema `target` and migrates every live local
    /// entry of an older schema, in one transaction: a failure or a crash
    /// leaves the store as it was, and a second run changes nothing.
    ///
    /// `installing` steps (from a migrations file) are stored first, in the
    /// same transaction, so later syncs migrate vault entries the same way.
    /// With `dryRun` the transaction is rolled back and the report says what
    /// would change. `progress` is called after each entry is rewritten.
    @discardableResult
    public func migrateContext(
        _ context: String, to target: Int, installing: MigrationsFile? = nil, dryRun: Bool = false,
        progress: (MigratedEntry) -> Void = { _ in }
    ) throws(TandemError) -> MigrationReport {
        let context = try Validation.contextName(context)
        return try writeTransaction(rollingBack: dryRun) { db in
            let current = try self.schemaVersion(db, context: context)
            guard target >= current else { throw TandemError.schemaDowngrade(context: context, current: current, requested: target) }
            if let installing { try self.store(installing, db) }
            try db.execute(sql: """
                INSERT INTO context (name, schema, policy_chosen) VALUES (?, ?, 0) ON CONFLICT(name) DO UPDATE SET schema = excluded.schema
                """, arguments: [context, target])
            let catalog = try self.schemaCatalog(db)
            let alreadyCurrent = try self.entriesBySchema(db)[context, default: [:]].filter { $0.key >= target }.values.reduce(0, +)
            var report = MigrationReport(context: context, from: current, to: target, migrated: [], alreadyCurrent: alreadyCurrent, dryRun: dryRun)
            // When the known schema moves, every row's state is derived again
            // (an entry that needed a newer app may not any more); an app that
            // declares the same version on each start reads only the rows
            // left behind, so that run stays cheap.
            let onlyOlder = current == target
            let sql = "WHERE context = ? " + (onlyOlder ? "AND \(Self.olderLocalTerm) " : "") + "ORDER BY key"
            for var record in try self.records(db, sql: sql, arguments: onlyOlder ? [context, target, target] : [context]) {
                guard let local = record.views.local, let value = local.value, local.schema < target else {
                    try self.save(&record, db)
                    continue
                }
                let migrated = try catalog.migrate(value, context: context, key: record.key, from: local.schema, to: target)
                let (outcome, vaultVersion) = EdgeMigration.outcome(record.views, migrated: migrated, target: target)
                switch outcome {
                case .published:
                    _ = try self.publishLocal(db, &record, value: migrated, seen: record.views.seenWithSameContent(as: local), schema: target)
                case .tookVaultVersion:
                    record.views.local = vaultVersion
                    try self.save(&record, db)
                case .migratedInPlace:
                    record.views.local = EntryVersion(value: migrated, vector: local.vector, timestamp: local.timestamp, origin: local.origin, schema: target)
                    try self.save(&record, db)
                }
                let entry = MigratedEntry(key: record.key, fromSchema: local.schema, before: value, after: migrated, outcome: outcome)
                report.migrated.append(entry)
                progress(entry)
            }
            if !report.changedNothing {
                try self.log(db, "migrated context \(context) from schema \(current) to \(target): \(report.migrated.count) entries")
            }
            return report
        }
    }

    /// Rows whose local version is live and of a schema older than the one
    /// given (twice) as arguments.
    private static let olderLocalTerm = """
        ((local_kind = 2 AND local_value IS NOT NULL AND local_schema < ?) OR (local_kind = 1 AND vault_value IS NOT NULL AND vault_schema < ?))
        """

    /// Stores a file's steps, replacing stored steps from the same versions.
    private func store(_ file: MigrationsFile, _ db: Database) throws {
        for step in file.steps {
            try db.execute(sql: """
                INSERT OR REPLACE INTO schema_step (context, from_version, to_version, source, operations) VALUES (?, ?, ?, ?, ?)
                """, arguments: [file.context, step.from, step.to, file.path, JSONValue.array(step.operations.map(\.json)).canonicalText])
        }
    }

    // MARK: Counts

    /// For each context, how many live local entries were written with each schema.
    func entriesBySchema(_ db: Database) throws -> [String: [Int: Int]] {
        var result: [String: [Int: Int]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT context, CASE local_kind WHEN 2 THEN local_schema ELSE vault_schema END, count(*) FROM entry
            WHERE local_kind <> 0 AND (CASE local_kind WHEN 2 THEN local_value ELSE vault_value END) IS NOT NULL
            GROUP BY 1, 2
            """) {
            result[row[0], default: [:]][row[1]] = row[2]
        }
        return result
    }
}
