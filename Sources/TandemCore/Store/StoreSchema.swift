import GRDB

/// The device store's schema, grown only through named migrations. A shipped
/// migration is never edited; tables are named by string, never by app types.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-device-store") { db in
            try db.create(table: "meta") { table in
                table.primaryKey("key", .text)
                table.column("value", .text).notNull()
            }
            try db.create(table: "context") { table in
                table.primaryKey("name", .text)
                table.column("policy", .text).notNull().defaults(to: "review")
                table.column("schema", .integer).notNull().defaults(to: 1)
            }
            // One row per (context, key): the local view and the head of the
            // vault view side by side, with the state derived from them.
            try db.create(table: "entry") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("context", .text).notNull()
                table.column("key", .text).notNull()
                // 0: this device never had the entry; 1: local is the vault head;
                // 2: local is its own version, held in the local_* columns.
                table.column("local_kind", .integer).notNull()
                table.column("local_value", .text)
                table.column("local_vv", .text)
                table.column("local_wall", .integer)
                table.column("local_counter", .integer)
                table.column("local_origin", .text)
                table.column("local_schema", .integer)
                table.column("vault_value", .text)
                table.column("vault_vv", .text)
                table.column("vault_wall", .integer)
                table.column("vault_counter", .integer)
                table.column("vault_origin", .text)
                table.column("vault_schema", .integer)
                table.column("vault_others", .integer).notNull().defaults(to: 0)
                table.column("refused_vv", .text)
                table.column("state", .text)
                table.column("arrival", .integer).notNull().defaults(to: 0)
                table.uniqueKey(["context", "key"])
            }
            // Only rows that wait for something are indexed: in-sync rows are
            // nearly all of a store, and a restore should not pay for them twice.
            // A shipped migration is frozen: its SQL is written out, never built
            // from constants that may change (a test checks that the queries'
            // term still matches it word for word).
            try db.execute(sql: "CREATE INDEX entry_waiting ON entry (state, context, arrival) WHERE state <> 'in-sync'")
            // The vault versions concurrent with an entry's head: conflict losers.
            try db.create(table: "conflict_version") { table in
                table.column("context", .text).notNull()
                table.column("key", .text).notNull()
                table.column("value", .text)
                table.column("vv", .text).notNull()
                table.column("wall", .integer).notNull()
                table.column("counter", .integer).notNull()
                table.column("origin", .text).notNull()
                table.column("schema", .integer).notNull()
                table.primaryKey(["context", "key", "vv"])
            }
            // Local versions not yet in the vault: the latest per entry (an
            // earlier unpushed version is dominated by the later one). It keeps
            // the version itself, because under `accept` local may move on to a
            // vault winner while the losing local version must still be published.
            try db.create(table: "outbox") { table in
                table.column("context", .text).notNull()
                table.column("key", .text).notNull()
                table.column("value", .text)
                table.column("vv", .text).notNull()
                table.column("wall", .integer).notNull()
                table.column("counter", .integer).notNull()
                table.column("origin", .text).notNull()
                table.column("schema", .integer).notNull()
                table.column("queued", .integer).notNull()
                table.primaryKey(["context", "key"])
            }
            try db.create(table: "cursor") { table in
                table.primaryKey("device", .text)
                table.column("seq", .integer).notNull()
                table.column("hash", .blob).notNull()
            }
            try db.create(table: "decision") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("at", .integer).notNull()
                table.column("context", .text).notNull()
                table.column("key", .text).notNull()
                table.column("decision", .text).notNull()
                table.column("version", .text)
            }
            try db.create(table: "event") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("at", .integer).notNull()
                table.column("level", .text).notNull()
                table.column("message", .text).notNull()
            }
        }
        // The declarative migration steps `tandem migrate` installed, kept
        // so that vault entries of an older schema met later are migrated
        // the same way (context schema versions live in `context.schema`).
        migrator.registerMigration("v2-schema-steps") { db in
            try db.create(table: "schema_step") { table in
                table.column("context", .text).notNull()
                table.column("from_version", .integer).notNull()
                table.column("to_version", .integer).notNull()
                table.column("source", .text).notNull()
                table.column("operations", .text).notNull()
                table.primaryKey(["context", "from_version"])
            }
            // A context row may now exist only for its schema version; its
            // policy column then holds the default and is not a choice.
            try db.alter(table: "context") { table in
                table.add(column: "policy_chosen", .boolean).notNull().defaults(to: true)
            }
        }
        // Conflicts already settled on their winner are marked, and left out
        // of the index that accept syncs and handlers read. Rows written
        // before keep 0 (unsettled) until a sync settles them: a stale 0 only
        // costs a read, never a missed change.
        migrator.registerMigration("v3-settled-conflicts") { db in
            try db.alter(table: "entry") { table in
                table.add(column: "conflict_settled", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "CREATE INDEX entry_unsettled ON entry (state, context, arrival) WHERE state <> 'in-sync' AND conflict_settled = 0")
        }
        // The record of each snapshot this device took: a killed backup
        // leaves `started`, which the next one marks failed.
        migrator.registerMigration("v4-snapshots") { db in
            // A store made by a build of this branch before the merge that
            // numbered it v4 may have the table already, under "v3-snapshots".
            try db.create(table: "snapshot", ifNotExists: true) { table in
                table.column("id", .text).primaryKey()
                table.column("source", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("status", .text).notNull()
                table.column("message", .text)
                table.column("started", .integer).notNull()
                table.column("finished", .integer)
                table.column("result", .text)
            }
        }
        // Decisions taken here, with the entry's rows before and after, so
        // that one not yet published can be taken back (DESIGN §9).
        migrator.registerMigration("v5-undo") { db in
            try db.create(table: "undo") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("at", .integer).notNull()
                table.column("context", .text).notNull()
                table.column("key", .text).notNull()
                table.column("label", .text).notNull()
                table.column("before", .text).notNull()
                table.column("after", .text).notNull()
            }
        }
        // Devices whose clocks were seen more than a day ahead of this one's
        // (HybridLogicalClock.maxAheadMillis): their times are not adopted.
        migrator.registerMigration("v6-clocks-ahead") { db in
            try db.create(table: "clock_ahead") { table in
                table.primaryKey("device", .text)
                table.column("wall", .integer).notNull()
                table.column("ahead", .integer).notNull()
                table.column("seen_at", .integer).notNull()
            }
        }
        // Holes in other devices' logs that the last sync stopped at.
        migrator.registerMigration("v7-log-gaps") { db in
            try db.create(table: "log_gap") { table in
                table.primaryKey("device", .text)
                table.column("name", .text).notNull()
                table.column("missing", .integer).notNull()
                table.column("pushed", .integer).notNull()
                table.column("latest", .integer).notNull()
                table.column("damaged", .boolean).notNull().defaults(to: false)
            }
        }
        // Outbox versions a newer write of the same entry replaced, kept until
        // the next sync has checked the device's own log: a segment placed
        // before a crash may hold one of them, and is still this store's own.
        migrator.registerMigration("v8-replaced-outbox") { db in
            try db.create(table: "replaced_outbox") { table in
                table.column("context", .text).notNull()
                table.column("key", .text).notNull()
                table.column("value", .text)
                table.column("vv", .text).notNull()
                table.column("origin", .text).notNull()
                table.primaryKey(["context", "key", "vv"])
            }
        }
        // Decisions taken together (accept all shown) share an action, and
        // one undo takes the whole action back.
        migrator.registerMigration("v9-undo-actions") { db in
            try db.alter(table: "undo") { table in
                table.add(column: "action", .integer)
            }
        }
        // A gap may wait for a checkpoint its device placed that this copy
        // of the vault has not received yet: not a hole, nothing to restate.
        migrator.registerMigration("v10-awaited-checkpoints") { db in
            try db.alter(table: "log_gap") { table in
                table.add(column: "checkpoint", .integer)
            }
        }
        // The deletions a device waits to leave out of its checkpoints.
        migrator.registerMigration("v11-tombstone-candidates") { db in
            try db.create(table: "tombstone_candidate") { table in
                table.column("context", .text).notNull()
                table.column("key", .text).notNull()
                table.column("vv", .text).notNull()
                table.primaryKey(["context", "key", "vv"])
            }
        }
        return migrator
    }
}
