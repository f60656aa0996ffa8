import GRDB

extension DeviceStore {
    /// Applies `decision` to the change waiting at an entry. Accept and refuse
    /// need an incoming change; keep-mine also settles a refused change or a conflict.
    ///
    /// With `shown`, the change must still be the one a list showed (by its
    /// writer and time), or `changedSince` is thrown and nothing changes: a
    /// person who confirmed "accept all 39 shown" accepted those versions,
    /// not ones that arrived while they read the question.
    @discardableResult
    ///
    /// Decisions given the same `action` (from ``newAction()``) are taken
    /// back together by one ``Device/undoLastDecision()``.
    public func decide(_ decision: Decision, context: String, key: String, shown: ShownVersion? = nil,
                       action: UndoAction? = nil) throws(TandemError) -> EntryStatus {
        let context = try Validation.contextName(context)
        let key = try Validation.key(key)
        return try writeTransaction { db in
            guard var record = try self.record(db, context: context, key: key), let state = record.views.state else {
                throw TandemError.noSuchEntry(context: context, key: key)
            }
            try Self.refuseIfNewer(record)
            guard decision.appliesTo.contains(state) else { throw TandemError.noSuchChange(Escaped.entry(context, key)) }
            let version = record.views.unseen.deterministicWinner
            if let shown, version.map({ ShownVersion(origin: $0.origin, wallMillis: $0.timestamp.wallMillis) }) != shown {
                throw TandemError.changedSince(context: context, key: key)
            }
            try self.recordingUndo(db, decision.rawValue, context: context, key: key, action: action) {
                switch decision {
                case .accept:
                    try self.adopt(db, &record, version, catalog: try self.schemaCatalog(db))
                    record.views.refused = nil
                    try self.save(&record, db)
                case .refuse:
                    record.views.refused = record.views.unseen.reduce(record.views.refused ?? VersionVector()) { $0.merged(with: $1.vector) }
                    try self.save(&record, db)
                case .keepMine:
                    let seen = self.everythingSeen(record.views)
                    _ = try self.publishLocal(db, &record, value: record.views.local?.value, seen: seen, schema: record.views.local?.schema ?? record.views.knownSchema)
                }
            }
            try self.recordDecision(db, decision.rawValue, context: context, key: key, version: version)
            return try self.status(db, context: context, key: key)
        }
    }

    /// Resolves a conflict by publishing one version that dominates every
    /// version of the entry, which reaches the other devices as an ordinary edit.
    @discardableResult
    public func resolve(context: String, key: String, _ resolution: Resolution) throws(TandemError) -> EntryStatus {
        let context = try Validation.contextName(context)
        let key = try Validation.key(key)
        var mergedValue: String?
        if case .merge(let value?) = resolution {
            mergedValue = try Validation.canonicalValue(value)
        }
        return try writeTransaction { db in
            guard var record = try self.record(db, context: context, key: key) else {
                throw TandemError.noSuchEntry(context: context, key: key)
            }
            try Self.refuseIfNewer(record)
            guard record.views.state == .conflict else { throw TandemError.notAConflict(context: context, key: key) }
            var value: String?
            let label: String
            // A person's merge is written now, at this device's schema; a
            // version kept or taken keeps its own, or is migrated to it.
            var schema = record.views.knownSchema
            switch resolution {
            case .keepLocal:
                value = record.views.local?.value
                schema = record.views.local?.schema ?? schema
                label = "keep-local"
            case .takeRemote, .takeVersion:
                let candidates = record.views.unseen
                let chosen: EntryVersion?
                switch resolution {
                case .takeVersion(let vector): chosen = candidates.first { $0.vector == vector }
                case .takeRemote(let device?): chosen = candidates.filter { $0.origin == device }.deterministicWinner
                default: chosen = candidates.deterministicWinner
                }
                guard let chosen else {
                    let named: String = switch resolution {
                    case .takeRemote(let device?): device.rawValue
                    case .takeVersion(let vector): "version \(vector.compactText)"
                    default: "the vault"
                    }
                    throw TandemError.noSuchVersion(context: context, key: key, device: named)
                }
                value = chosen.value
                if let text = chosen.value, chosen.schema < schema {
                    value = try self.schemaCatalog(db).migrate(text, context: context, key: key, from: chosen.schema, to: schema)
                }
                label = "take-remote \(chosen.versionID)"
            case .merge:
                value = mergedValue
                label = "merge"
            }
            let seen = self.everythingSeen(record.views)
            try self.recordingUndo(db, label, context: context, key: key) {
                _ = try self.publishLocal(db, &record, value: value, seen: seen, schema: schema)
            }
            try self.recordDecision(db, label, context: context, key: key, version: nil)
            return try self.status(db, context: context, key: key)
        }
    }

    /// An entry holding a version of a newer schema is kept untouched: no
    /// decision or resolution may overwrite it.
    static func refuseIfNewer(_ record: EntryRecord) throws(TandemError) {
        guard let newer = record.views.newerSchema else { return }
        throw .needsNewerApp(context: record.context, key: record.key, schema: newer, known: record.views.knownSchema)
    }

    func everythingSeen(_ views: EntryViews) -> VersionVector {
        views.frontier.mergedVector
            .merged(with: views.local?.vector ?? VersionVector())
            .merged(with: views.refused ?? VersionVector())
    }

    func status(_ db: Database, context: String, key: String) throws -> EntryStatus {
        guard let record = try record(db, context: context, key: key), let state = record.views.state else {
            throw TandemError.noSuchEntry(context: context, key: key)
        }
        return EntryStatus(context: context, key: key, views: record.views, state: state)
    }

    func recordDecision(_ db: Database, _ decision: String, context: String, key: String, version: EntryVersion?) throws {
        try db.execute(sql: "INSERT INTO decision (at, context, key, decision, version) VALUES (?, ?, ?, ?, ?)",
                       arguments: [clock.nowMillis(), context, key, decision, version?.versionID])
        try log(db, "\(decision) \(Escaped.entry(context, key))" + (version.map { " (version \($0.versionID))" } ?? ""))
    }

    /// Records a handler's answer for an incoming change (policy `handlers`):
    /// applied takes the version, refused marks it seen.
    func recordHandlerResult(context: String, key: String, expected: EntryVersion, applied: Bool) throws(TandemError) {
        try writeTransaction { db in
            guard var record = try self.record(db, context: context, key: key),
                  record.views.unseen.deterministicWinner == expected else { return }
            if applied {
                try self.adopt(db, &record, expected, catalog: try self.schemaCatalog(db))
                record.views.refused = nil
            } else {
                record.views.refused = record.views.unseen.reduce(record.views.refused ?? VersionVector()) { $0.merged(with: $1.vector) }
            }
            try self.save(&record, db)
        }
    }
}

extension DeviceStore {
    /// The changes waiting for handlers in `contexts`, in arrival order: an
    /// entry whose handler failed arrived first, so it is retried first.
    func handlerQueue(contexts: [String]) throws(TandemError) -> [IncomingChange] {
        let marks = contexts.map { _ in "?" }.joined(separator: ",")
        return try read { db in
            let catalog = try self.schemaCatalog(db)
            return try self.records(db, sql: "WHERE state IN ('incoming', 'conflict') AND \(EntryRecord.unsettledTerm) AND context IN (\(marks)) ORDER BY arrival",
                             arguments: StatementArguments(contexts)).compactMap { record in
                guard let winner = record.views.state == .conflict ? record.views.conflictWinner : record.views.unseen.deterministicWinner,
                      winner != record.views.local else { return nil }
                let localLive = record.views.local.map { !$0.isDeletion } ?? false
                if winner.isDeletion && !localLive { return nil }
                let kind = ChangeKind(deletes: winner.isDeletion, localLive: localLive)
                // The app sees the value at its own schema; one that cannot be
                // migrated waits (applying it would fail the same way).
                var value = winner.value
                if let text = value, winner.schema < record.views.knownSchema {
                    guard let migrated = try? catalog.migrate(text, context: record.context, from: winner.schema, to: record.views.knownSchema) else { return nil }
                    value = migrated
                }
                return IncomingChange(context: record.context, key: record.key, kind: kind, value: value,
                                      previousValue: record.views.local?.value, version: winner)
            }
        }
    }
}
