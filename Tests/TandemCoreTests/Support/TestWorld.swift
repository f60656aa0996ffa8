import Foundation
import Logging
import TandemCore

/// A wall clock a test moves by hand; each device may run ahead or behind.
final class TestClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64
    let offset: Int64

    init(start: Int64 = 1_800_000_000_000, offset: Int64 = 0) {
        self.now = start
        self.offset = offset
    }

    /// A clock sharing nothing but its start, shifted by `offset`.
    func nowMillis() -> Int64 {
        lock.lock(); defer { lock.unlock() }
        now += 1
        return now + offset
    }

    func advance(_ millis: Int64) {
        lock.lock(); defer { lock.unlock() }
        now += millis
    }
}

/// A temporary folder removed when the test ends.
final class TemporaryFolder: @unchecked Sendable {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-test-" + UUID().uuidString, isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ component: String) -> String { url.appendingPathComponent(component).path }
}

/// A real vault folder and real device stores on it, for stories told in tests.
final class TestWorld: @unchecked Sendable {
    let folder = TemporaryFolder()
    let vault: Vault
    let descriptor: VaultDescriptor
    private(set) var stores: [String: DeviceStore] = [:]
    /// Each store as a device, holding the vault key the world was made with.
    private(set) var devices: [String: Device] = [:]
    private(set) var clocks: [String: TestClock] = [:]

    /// The passphrase of an encrypted world's vault.
    static let passphrase = "correct horse battery staple"
    /// The recovery phrase of an encrypted world's vault.
    let recoveryPhrase: [String]?

    /// With `encrypted`, the vault is sealed with AES-256-GCM (scrypt at its
    /// lowest accepted cost, to keep tests fast) and every device knows the key.
    init(devices: [String] = [], owner: String = "alice", encrypted: Bool = false) throws {
        let root = folder.url.appendingPathComponent("vault")
        let created = try Vault.create(at: root, owner: owner,
                                       protection: encrypted ? .passphrase(Self.passphrase, ScryptParameters(logN: 10)) : .none)
        descriptor = created.descriptor
        recoveryPhrase = created.recoveryPhrase
        vault = try Vault(root: root).unlocked(descriptor, with: encrypted ? .passphrase(Self.passphrase) : nil)
        for name in devices { try addDevice(name) }
    }

    @discardableResult
    func addDevice(_ name: String, clockOffset: Int64 = 0, id: DeviceID? = nil) throws -> DeviceStore {
        let clock = TestClock(offset: clockOffset)
        let store = try DeviceStore.create(at: folder.path("\(name)-\(UUID().uuidString.prefix(6)).sqlite"), name: name,
                                           id: id ?? .random(), vault: vault, descriptor: descriptor, clock: clock)
        stores[name] = store
        devices[name] = Device(store: store, key: vault.key)
        clocks[name] = clock
        return store
    }

    subscript(name: String) -> DeviceStore { stores[name]! }

    /// `laptop` and `phone` edit friends/alice without seeing each other's
    /// edit, and both have read both; `others` are devices that have not synced yet.
    static func concurrentEdit(others: [String] = []) async throws -> TestWorld {
        let world = try TestWorld(devices: ["laptop", "phone"] + others)
        try world.put("laptop", "friends", "alice", #"{"age":30}"#)
        try await world.sync("laptop")
        try await world.sync("phone", .accept)
        try world.put("laptop", "friends", "alice", #"{"age":31}"#)
        try world.put("phone", "friends", "alice", #"{"age":32}"#)
        try await world.sync("laptop")
        try await world.sync("phone")
        try await world.sync("laptop")
        return world
    }

    /// `a` inserted c/k = "1", `b` took it, then `a` edited it to "2": `b`
    /// has the edit incoming.
    static func incomingEdit() async throws -> TestWorld {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "c", "k", "1")
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.put("a", "c", "k", "2")
        try await world.sync("a")
        try await world.sync("b")
        return world
    }

    static let quiet = Logger(label: "tandem.test", factory: { _ in SwiftLogNoOpLogHandler() })

    @discardableResult
    func sync(_ name: String, _ policy: SyncPolicy = .review, handlers: [String: ContextHandlers] = [:]) async throws -> SyncReport {
        var policies = PolicyMap.all(policy)
        for context in handlers.keys { policies.contexts[context] = .handlers }
        return try await Synchronizer(device: device(name), logger: Self.quiet).sync(policies: policies, handlers: handlers)
    }

    /// The device of `name`; a store put in its place (reopened, copied) is a device of its own.
    func device(_ name: String) -> Device {
        if let device = devices[name], device.store === stores[name] { return device }
        return Device(store: self[name], key: vault.key)
    }

    func put(_ name: String, _ context: String, _ key: String, _ value: String) throws {
        try self[name].write(context: context, key: key, value: value)
    }

    func remove(_ name: String, _ context: String, _ key: String) throws {
        try self[name].write(context: context, key: key, value: nil)
    }

    func value(_ name: String, _ context: String, _ key: String) throws -> String? {
        try self[name].entry(context: context, key: key)?.value
    }

    func state(_ name: String, _ context: String, _ key: String) throws -> EntryState? {
        try self[name].entry(context: context, key: key)?.state
    }

    /// Local data of a device: (context/key → value) for live entries.
    func data(_ name: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for entry in try self[name].entries() {
            if let value = entry.value { result["\(entry.context)/\(entry.key)"] = value }
        }
        return result
    }

    /// Copies `name`'s store files as they are on disk (a backup of its
    /// home while the app is idle); returns the copy's path.
    func saveCopy(_ name: String) throws -> String {
        let folder = folder.path("\(name)-copy-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let copy = folder + "/store.sqlite"
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: self[name].path + suffix) {
            try FileManager.default.copyItem(atPath: self[name].path + suffix, toPath: copy + suffix)
        }
        return copy
    }

    /// Puts `name`'s store back from a copy `saveCopy` made, in its own
    /// place (the backup restored), and opens it.
    func putBack(_ name: String, from copy: String) throws {
        let path = self[name].path
        try self[name].close()
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: copy + suffix) {
            try FileManager.default.copyItem(atPath: copy + suffix, toPath: path + suffix)
        }
        let store = try DeviceStore.open(at: path, clock: clocks[name]!)
        stores[name] = store
        devices[name] = Device(store: store, key: vault.key)
    }

    /// Moves the vault away so every device sees it as offline; `back` restores it.
    func takeVaultOffline() throws {
        try FileManager.default.moveItem(at: vault.root, to: folder.url.appendingPathComponent("vault-away"))
    }

    func bringVaultBack() throws {
        try FileManager.default.moveItem(at: folder.url.appendingPathComponent("vault-away"), to: vault.root)
    }
}

/// Records what handlers were called with, and answers as told.
final class HandlerRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [(kind: ChangeKind, key: String, value: String?)] = []
    private var answers: [String: HandlerResult] = [:]
    private var throwing: Set<String> = []

    var calls: [(kind: ChangeKind, key: String, value: String?)] {
        lock.lock(); defer { lock.unlock() }
        return _calls
    }

    func answer(_ key: String, with result: HandlerResult) {
        lock.lock(); defer { lock.unlock() }
        answers[key] = result
    }

    func throwFor(_ key: String, _ enabled: Bool = true) {
        lock.lock(); defer { lock.unlock() }
        if enabled { throwing.insert(key) } else { throwing.remove(key) }
    }

    func reset() {
        lock.lock(); defer { lock.unlock() }
        _calls = []
    }

    struct Boom: Error {}

    private func handle(_ change: IncomingChange) throws -> HandlerResult {
        lock.lock(); defer { lock.unlock() }
        _calls.append((change.kind, change.key, change.value))
        if throwing.contains(change.key) { throw Boom() }
        return answers[change.key] ?? .applied
    }

    var handlers: ContextHandlers {
        ContextHandlers(
            onInsert: { try self.handle($0) },
            onModify: { try self.handle($0) },
            onDelete: { try self.handle($0) })
    }
}
