import Foundation
import GRDB

/// One device's local store: a SQLite file (WAL) holding the local view and
/// the vault view of every entry, the outbox, cursors, decisions and the log.
///
/// Its named methods are the only writers, and each state change is one
/// transaction. Two processes may open the same store; SQLite serialises
/// their writes.
///
/// ```swift
/// let store = try DeviceStore.create(at: path, name: "laptop", vault: vault)
/// try store.write(context: "friends", key: "alice", value: #"{"age":30}"#)
/// ```
public final class DeviceStore: Sendable {
    public let path: String
    /// A `DatabasePool` (WAL, readers beside one writer), or a read-only
    /// `DatabaseQueue` for a store that cannot be written.
    let pool: any DatabaseWriter
    /// Why the store cannot be written, when it was opened for reading only.
    let readOnlyReason: String?
    let clock: any WallClock
    /// Migration steps the app registered in code (stored ones are in the database).
    let registeredSteps = RegisteredSteps()
    /// Listeners for committed changes to entries, and the entries the transaction under way touches.
    let changeFeed = EntryChangeFeed()

    /// Opens an existing store. One that cannot be written opens read-only
    /// when `use` is `.reading` (every write then fails as read-only), and is
    /// refused as read-only for `.writing`.
    public static func open(at path: String, for use: StoreUse = .writing,
                            clock: any WallClock = SystemClock()) throws(TandemError) -> DeviceStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .storeCorrupt(path: path, reason: "no device store here")
        }
        let store: DeviceStore
        if let reason = StoreWritability.problem(at: path) {
            guard use == .reading else { throw .storeReadOnly(path: path, reason: reason) }
            store = try DeviceStore(readOnlyAt: path, reason: reason, clock: clock)
        } else {
            store = try DeviceStore(path: path, clock: clock)
        }
        _ = try store.info()
        return store
    }

    /// Whether the store was opened for reading only, because it cannot be written.
    public var isReadOnly: Bool { readOnlyReason != nil }

    /// Creates the store of a new device of `vault`; `replacing` names the
    /// installation it replaces when the app was reinstalled.
    public static func create(
        at path: String, name: String, id: DeviceID = .random(), vault: Vault, descriptor: VaultDescriptor,
        replacing: DeviceID? = nil, clock: any WallClock = SystemClock()
    ) throws(TandemError) -> DeviceStore {
        guard Validation.isValidName(name) else { throw .invalidDeviceName(name) }
        guard !FileManager.default.fileExists(atPath: path) else { throw .deviceExists(name: name) }
        try createPrivately(path)
        let store = try DeviceStore(path: path, clock: clock)
        let now = clock.nowMillis()
        try store.writeTransaction { db in
            let values: [StoreMeta: String] = [
                .deviceID: id.rawValue, .deviceName: name, .vaultPath: vault.root.path, .vaultID: descriptor.id,
                .owner: descriptor.owner, .created: String(now), .pushedSeq: "0",
                .pushedHash: Digest.hex(Segment.noPreviousHash), .clockWall: "0", .clockCounter: "0",
                .writeCounter: "0", .arrival: "0",
            ]
            for (key, value) in values { try StoreMeta.set(db, key, value) }
            if let replacing { try StoreMeta.set(db, .replaces, replacing.rawValue) }
            try StoreMeta.set(db, .installation, Digest.randomHex(bytes: 8))
            try StoreMeta.set(db, .place, StorePlace.current(storePath: path))
            try StoreMeta.set(db, .vaultSealing, descriptor.sealing)
        }
        return store
    }

    private init(path: String, clock: any WallClock) throws(TandemError) {
        self.path = path
        self.clock = clock
        readOnlyReason = nil
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // A new store gets 16 KiB pages (no effect on an existing one):
            // entries of a KiB or more fill 4 KiB pages badly, and a restore
            // measured about a third faster.
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // After each checkpoint the write-ahead log is cut back to this
            // size, so one large restore does not leave a large file for good.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try StoreSchema.migrator.migrate(pool)
        } catch {
            throw .storeCorrupt(path: path, reason: "\(error)")
        }
    }

    private init(readOnlyAt path: String, reason: String, clock: any WallClock) throws(TandemError) {
        self.path = path
        self.clock = clock
        readOnlyReason = reason
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        do {
            let queue = try DatabaseQueue(path: StoreWritability.readOnlyLocation(of: path), configuration: configuration)
            // Upgrading the schema writes; a store an older tandem made cannot be read as it is.
            guard try queue.read(StoreSchema.migrator.hasCompletedMigrations) else {
                throw TandemError.storeReadOnly(path: path, reason: reason + ", and an older tandem made it: it must be upgraded, which writes to it")
            }
            pool = queue
        } catch let error as TandemError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM].contains(error.resultCode) {
            throw .storeReadOnly(path: path, reason: reason + ", and SQLite cannot read it without writing (\(error.message ?? "cannot open"))")
        } catch {
            throw .storeCorrupt(path: path, reason: "\(error)")
        }
    }

    /// Refuses, with nothing changed, when the store was opened for reading only.
    func requireWritable() throws(TandemError) {
        if let readOnlyReason { throw .storeReadOnly(path: path, reason: readOnlyReason) }
    }

    /// Closes the store's connections now (checkpointing its write-ahead log),
    /// instead of when the last reference goes.
    /// Closes the store; every ``changes()`` stream ends after what it was sent.
    public func close() throws(TandemError) {
        changeFeed.finish()
        do { try pool.close() } catch { throw .storeCorrupt(path: path, reason: "\(error)") }
    }

    /// Runs `body` in one write transaction, mapping database errors to
    /// messages naming this store. With `rollingBack`, the transaction is
    /// rolled back at the end: a dry run sees exactly what would change.
    func writeTransaction<T>(rollingBack: Bool = false, _ body: (Database) throws -> T) throws(TandemError) -> T {
        try requireWritable()
        let feed = changeFeed
        do {
            guard rollingBack else {
                // The entries touched are dropped, taken and told inside the writer, where no
                // other transaction adds to them: once it committed, in the order of commits.
                return try pool.write { db in
                    feed.discard()
                    let result = try body(db)
                    let touched = feed.take()
                    if !touched.isEmpty, feed.isListened {
                        db.afterNextTransaction(onCommit: { db in self.publish(touched, db) })
                    }
                    return result
                }
            }
            return try pool.writeWithoutTransaction { db in
                defer { feed.discard() }
                var result: Result<T, any Error>?
                try db.inTransaction {
                    result = Result { try body(db) }
                    return .rollback
                }
                guard let result else { throw TandemError.storeFailed(path: path, reason: "a dry run did not run") }
                return try result.get()
            }
        } catch let error as TandemError {
            throw error
        } catch {
            throw storeError(error)
        }
    }

    /// Saves an entry's row, noting it for the listeners of ``changes()``.
    func save(_ record: inout EntryRecord, _ db: Database) throws {
        changeFeed.touched(context: record.context, key: record.key)
        try record.save(db)
    }

    /// Removes an entry's row, noting it for the listeners of ``changes()``.
    func removeEntry(_ db: Database, context: String, key: String) throws {
        changeFeed.touched(context: context, key: key)
        try db.execute(sql: "DELETE FROM entry WHERE context = ? AND key = ?", arguments: [context, key])
    }

    /// Every committed transaction of this process that touched entries, as
    /// it commits and in that order: a local write, a decision, an undo, a
    /// migration, each step of a sync. Another process writing the same store
    /// (the `tandem` command, say) is not heard.
    ///
    /// ```swift
    /// for await change in store.changes() {
    ///     screen.reload(change.entries, badge: change.waiting.incoming)
    /// }
    /// ```
    public func changes() -> AsyncStream<EntryChanges> {
        changeFeed.stream()
    }

    private func publish(_ touched: Set<EntryName>, _ db: Database) {
        // A count that cannot be read leaves the names to tell what changed.
        let waiting = (try? pendingCounts(db)) ?? StateCounts()
        changeFeed.publish(EntryChanges(entries: touched, waiting: waiting))
    }

    func read<T>(_ body: (Database) throws -> T) throws(TandemError) -> T {
        do {
            return try pool.read(body)
        } catch let error as TandemError {
            throw error
        } catch {
            throw storeError(error)
        }
    }

    /// A failed transaction rolled back: the store is as it was. Says why in
    /// words (a full disk, a busy store) rather than as SQLite's codes.
    func storeError(_ error: any Error) -> TandemError {
        if let damaged = error as? StoreMeta.Damaged { return .storeCorrupt(path: path, reason: damaged.description) }
        guard let database = error as? DatabaseError else { return .storeFailed(path: path, reason: "\(error)") }
        switch database.resultCode {
        case .SQLITE_FULL: return .storeFailed(path: path, reason: "the disk is full")
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .storeFailed(path: path, reason: "another process kept the store busy for too long; try again")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: return .storeFailed(path: path, reason: "cannot write here (\(database.message ?? "permission denied"))")
        case .SQLITE_IOERR: return .storeFailed(path: path, reason: "input/output error (\(database.message ?? "disk error"))")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .storeCorrupt(path: path, reason: database.message ?? "not a database")
        default: return .storeFailed(path: path, reason: database.message ?? "\(error)")
        }
    }

    /// The device's identity and push position.
    public func info() throws(TandemError) -> DeviceInfo {
        try read { db in try self.info(db) }
    }

    func info(_ db: Database) throws -> DeviceInfo {
        let values = try StoreMeta.all(db)
        func required(_ key: StoreMeta) throws -> String {
            guard let value = values[key] else { throw TandemError.storeCorrupt(path: path, reason: "missing \(key.rawValue)") }
            return value
        }
        guard let id = DeviceID(validating: try required(.deviceID)) else {
            throw TandemError.storeCorrupt(path: path, reason: "bad device id")
        }
        func requiredNumber<T: FixedWidthInteger>(_ key: StoreMeta) throws -> T {
            guard let value: T = try StoreMeta.number(values, key) else { throw TandemError.storeCorrupt(path: path, reason: "missing \(key.rawValue)") }
            return value
        }
        let pushedSeq: UInt64 = try requiredNumber(.pushedSeq)
        let created: Int64 = try requiredNumber(.created)
        guard let pushedHash = Digest.bytes(fromHex: try required(.pushedHash)) else {
            throw StoreMeta.Damaged(key: .pushedHash, value: values[.pushedHash] ?? "")
        }
        return DeviceInfo(
            id: id, name: try required(.deviceName), vaultPath: try required(.vaultPath), vaultID: try required(.vaultID),
            owner: try required(.owner), createdMillis: created,
            pushedSeq: pushedSeq,
            pushedHash: pushedHash,
            lastSyncMillis: try StoreMeta.number(values, .lastSync), replaces: values[.replaces].flatMap(DeviceID.init(validating:)),
            installation: values[.installation] ?? "", copiedFrom: values[.copiedFrom].flatMap(DeviceID.init(validating:)),
            nextSeq: try StoreMeta.number(values, .nextSeq) ?? pushedSeq + 1)
    }

    /// Points the device at its vault's new location (a drive mounted elsewhere).
    public func setVaultPath(_ path: String) throws(TandemError) {
        try writeTransaction { db in try StoreMeta.set(db, .vaultPath, path) }
    }

    // MARK: Clock and counters

    /// Advances the hybrid logical clock for a local event.
    func tick(_ db: Database) throws -> HLCTimestamp {
        var hlc = try Self.loadClock(db)
        let stamp = hlc.tick(now: clock.nowMillis())
        try Self.saveClock(db, hlc)
        return stamp
    }

    static func loadClock(_ db: Database) throws -> HybridLogicalClock {
        let wall = try StoreMeta.number(db, .clockWall, as: Int64.self) ?? 0
        let counter = try StoreMeta.number(db, .clockCounter, as: UInt32.self) ?? 0
        return HybridLogicalClock(last: HLCTimestamp(wallMillis: wall, counter: counter))
    }

    static func saveClock(_ db: Database, _ hlc: HybridLogicalClock) throws {
        try StoreMeta.set(db, .clockWall, String(hlc.last.wallMillis))
        try StoreMeta.set(db, .clockCounter, String(hlc.last.counter))
    }

    // MARK: Policies

    /// The stored policy of each context that has one.
    public func policies() throws(TandemError) -> [String: SyncPolicy] {
        try read { db in
            var result: [String: SyncPolicy] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, policy FROM context WHERE policy_chosen") {
                result[row[0]] = SyncPolicy(rawValue: row[1]) ?? .review
            }
            return result
        }
    }

    public func setPolicy(_ policy: SyncPolicy, for context: String) throws(TandemError) {
        let context = try Validation.contextName(context)
        try writeTransaction { db in
            try db.execute(sql: """
                INSERT INTO context (name, policy, policy_chosen) VALUES (?, ?, 1)
                ON CONFLICT(name) DO UPDATE SET policy = excluded.policy, policy_chosen = 1
                """, arguments: [context, policy.rawValue])
        }
    }

    // MARK: Log

    /// Appends a line to the device's log of what sync did.
    public func log(_ message: String, level: String = "info") throws(TandemError) {
        try writeTransaction { db in try self.log(db, message, level: level) }
    }

    func log(_ db: Database, _ message: String, level: String = "info") throws {
        try db.execute(sql: "INSERT INTO event (at, level, message) VALUES (?, ?, ?)", arguments: [clock.nowMillis(), level, message])
    }

    /// The newest `limit` log lines, newest first.
    public func events(limit: Int = 100) throws(TandemError) -> [LogEvent] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT at, level, message FROM event ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                LogEvent(atMillis: $0[0], level: $0[1], message: $0[2])
            }
        }
    }
}

/// One line of a device's sync log.
public struct LogEvent: Sendable, Equatable, Codable {
    public var atMillis: Int64
    public var level: String
    public var message: String

    public init(atMillis: Int64, level: String, message: String) {
        self.atMillis = atMillis
        self.level = level
        self.message = message
    }
}

/// Keys of the `meta` table.
enum StoreMeta: String, CaseIterable {
    case deviceID = "device_id", deviceName = "device_name", vaultPath = "vault_path", vaultID = "vault_id"
    case owner, created, pushedSeq = "pushed_seq", pushedHash = "pushed_hash", lastSync = "last_sync"
    case clockWall = "clock_wall", clockCounter = "clock_counter", writeCounter = "write_counter", arrival
    case replaces
    /// A random id of this copy of the store, written into each segment it
    /// pushes, and the machine and path where it was made: a store found
    /// elsewhere is a copy, and takes a new one (see `DeviceStore+Identity`).
    case installation, place
    /// The seq the next push takes when it is not `pushed_seq + 1`: the
    /// ones between hold files that are not this device's segments.
    case nextSeq = "next_seq"
    /// The device this store was copied from, when it became a device of its own.
    case copiedFrom = "copied_from"
    /// The seq of this device's latest restatement.
    case restatedSeq = "restated_seq"
    /// JSON: for each device whose log in the vault went back below what
    /// this device had read, the cursor seq at which it republished that
    /// device's versions (so it does so once).
    case relayed
    /// When a sync last removed temporary files a killed writer left.
    case leftoversSwept = "leftovers_swept"
    /// How the vault was sealed when this device joined: a vault.json that
    /// later says otherwise was replaced, and is refused.
    case vaultSealing = "vault_sealing"
    /// The vault key, hex, when the person chose to remember it here.
    case vaultKey = "vault_key"
    /// `<device id> <seq> <millis> <cleared>`: this device's latest
    /// checkpoint, when it was placed by this device's clock (covered files
    /// are removed a grace period after that), and 1 once they were. Another
    /// id is an earlier identity's.
    case checkpoint
    /// JSON: the devices this device retired, and how far it has folded
    /// each one's log into its own.
    case retired
    /// `<device id> <seq> <millis>`: the tombstones this device's log
    /// carried up to seq wait to be left out of its checkpoints since
    /// millis (this device's clock); the deletions are in `tombstone_candidate`.
    case tombstoneGate = "tombstone_gate"
    /// `<device id> <seq> <JSON>`: how far this device had applied each
    /// other log when it placed its latest checkpoint, at that seq; and
    /// `<device id> <JSON>`, the same for the latest one whose covered files
    /// it removed (its record's `folded`).
    case checkpointApplied = "checkpoint_applied", folded
    /// `<device id> <seq>`: the highest seq its checkpoints left tombstones out through.
    case tombstonesThrough = "tombstones_through"
    /// `<device id> <JSON>`: the applied positions at the latest sync that
    /// ended with an empty outbox and no deletion waiting (its record's `settled`).
    case settled
    /// Why this store must read the whole vault again, while it must.
    case reread

    // Several of these run in every write and every sync: cached
    // statements, parsed once per connection.

    static func get(_ db: Database, _ key: StoreMeta) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: [key.rawValue])
    }

    static func set(_ db: Database, _ key: StoreMeta, _ value: String) throws {
        try db.cachedStatement(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .execute(arguments: [key.rawValue, value])
    }

    /// A value of `meta` that should be a number and is not.
    struct Damaged: Error, CustomStringConvertible {
        var key: StoreMeta
        var value: String
        var expected = "a number"
        var description: String { "meta \(key.rawValue) holds '\(Escaped.text(value))', not \(expected)" }
    }

    /// A number kept in `meta`: nil when it was never written. A value that
    /// is not a number is damage, reported as such, never read as zero.
    static func number<T: FixedWidthInteger>(_ db: Database, _ key: StoreMeta, as type: T.Type = T.self) throws -> T? {
        try parse(try get(db, key), key)
    }

    /// The same, from values already read with ``all(_:)``.
    static func number<T: FixedWidthInteger>(_ values: [StoreMeta: String], _ key: StoreMeta, as type: T.Type = T.self) throws -> T? {
        try parse(values[key], key)
    }

    private static func parse<T: FixedWidthInteger>(_ text: String?, _ key: StoreMeta) throws -> T? {
        guard let text else { return nil }
        guard let value = T(text) else { throw Damaged(key: key, value: text) }
        return value
    }

    static func all(_ db: Database) throws -> [StoreMeta: String] {
        var result: [StoreMeta: String] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT key, value FROM meta")) {
            if let key = StoreMeta(rawValue: row[0]) { result[key] = row[1] }
        }
        return result
    }
}
