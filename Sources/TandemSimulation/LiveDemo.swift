import Foundation
import Logging
import TandemCore

/// What the demo's devices are doing, for the UI to show.
public struct DemoStatus: Sendable, Equatable {
    public struct Device: Sendable, Equatable {
        public var name: String
        public var online: Bool
        /// The last thing the script made it do.
        public var lastAction: String
        public var actions: Int

        public init(name: String, online: Bool, lastAction: String, actions: Int = 0) {
            self.name = name
            self.online = online
            self.lastAction = lastAction
            self.actions = actions
        }
    }

    public var paused: Bool
    /// Steps per second relative to the normal pace (1).
    public var speed: Double
    public var steps: Int
    public var devices: [Device]
    /// The last thing that went wrong in the background, if anything did.
    public var problem: String?

    public init(paused: Bool, speed: Double, steps: Int, devices: [Device], problem: String? = nil) {
        self.paused = paused
        self.speed = speed
        self.steps = steps
        self.devices = devices
        self.problem = problem
    }

    public func device(_ name: String) -> Device? {
        devices.first { $0.name == name }
    }
}

/// `tandem demo`'s world: a vault and the devices laptop, phone and tablet in
/// one workspace, each a real store reaching the vault through its own link
/// (so one can go offline alone). In the background, the devices other than
/// the watched one act out a ``DemoScript`` in real time and sync with policy
/// `accept`; the watched device is left to the person.
///
/// ```
/// WORKSPACE/vault/                   the vault
/// WORKSPACE/devices/NAME/store.sqlite each device's store (a DeviceHome)
/// WORKSPACE/links/NAME               NAME's way to the vault: a link, removed while offline
/// ```
public final class LiveDemo: @unchecked Sendable {
    public static let deviceNames = ["laptop", "phone", "tablet"]
    public let workspace: URL
    public let home: DeviceHome
    public let vaultURL: URL
    public let watched: String
    /// The passphrase of the demo's vault (shown in the README; it guards nothing).
    public static let passphrase = "tandem demo"

    /// A pause between steps at speed 1.
    public static let interval: Duration = .milliseconds(2500)

    private let lock = NSLock()
    private var stores: [String: DeviceStore] = [:]
    private var script: DemoScript
    private var status: DemoStatus
    private var pending: [DemoAction] = []
    /// Devices the person took offline or online: the script leaves their link alone.
    private var held: Set<String> = []
    private var loop: Task<Void, Never>?
    private let logger = Logger(label: "tandem.demo", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Makes the workspace: the vault, the devices, sample data every device
    /// has, and a first sync of each.
    public static func create(at workspace: URL, seed: UInt64, watched: String = "laptop") async throws -> LiveDemo {
        let demo = LiveDemo(workspace: workspace, seed: seed, watched: watched)
        // Encrypted like a real vault; every device remembers the key, so
        // `tandem tui --home WORKSPACE --device phone` opens without a prompt.
        let created = try Vault.create(at: demo.vaultURL, owner: "demo@example.com", protection: .passphrase(passphrase))
        let key = try RecoveryPhrase.key(from: (created.recoveryPhrase ?? []).joined(separator: " "))
        try FileManager.default.createDirectory(at: demo.linksURL, withIntermediateDirectories: true)
        // The watched device last: the CLI then takes it when no --device is given.
        for name in deviceNames.filter({ $0 != watched }) + [watched] {
            try FileManager.default.createSymbolicLink(at: demo.link(name), withDestinationURL: demo.vaultURL)
            demo.stores[name] = try demo.home.createDevice(name: name, vaultPath: demo.link(name), credential: .key(key), remember: true).store
        }
        try await demo.seedSampleData()
        return demo
    }

    /// Opens an existing demo workspace (its stores), without writing anything.
    public static func open(at workspace: URL, seed: UInt64, watched: String = "laptop") throws -> LiveDemo {
        let demo = LiveDemo(workspace: workspace, seed: seed, watched: watched)
        for name in deviceNames { demo.stores[name] = try demo.home.open(name).store }
        return demo
    }

    private init(workspace: URL, seed: UInt64, watched: String) {
        self.workspace = workspace
        self.home = DeviceHome(root: workspace)
        self.vaultURL = workspace.appendingPathComponent("vault", isDirectory: true)
        self.watched = watched
        let others = Self.deviceNames.filter { $0 != watched }
        script = DemoScript(seed: seed, watched: watched, others: others)
        status = DemoStatus(paused: false, speed: 1, steps: 0, devices: Self.deviceNames.map {
            DemoStatus.Device(name: $0, online: true, lastAction: $0 == watched ? "yours to drive" : "waiting", actions: 0)
        })
    }

    private var linksURL: URL { workspace.appendingPathComponent("links", isDirectory: true) }

    private func link(_ name: String) -> URL { linksURL.appendingPathComponent(name) }

    private func seedSampleData() async throws {
        let samples: [(String, String, String, String)] = [
            ("laptop", "friends", "alice", #"{"name":"Alice","phone":"+44 20 7946 0958"}"#),
            ("laptop", "friends", "bob", #"{"birthday":"04-12","name":"Bob"}"#),
            ("phone", "friends", "carol", #"{"name":"Carol"}"#),
            ("phone", "messages", "m-0001", #"{"from":"bob","read":true,"text":"Lunch on Friday?"}"#),
            ("phone", "messages", "m-0002", #"{"from":"alice","read":false,"text":"Sure, 12:30"}"#),
            ("laptop", "settings", "theme", #"{"accent":"teal","mode":"dark"}"#),
            ("tablet", "settings", "notifications", #"{"value":"on"}"#),
            ("tablet", "installed-apps", "chess", #"{"size_mb":48,"version":"3.2"}"#),
            ("tablet", "installed-apps", "maps", #"{"size_mb":120,"version":"7.1"}"#),
        ]
        for (device, context, key, value) in samples {
            try store(named: device)?.write(context: context, key: key, value: value)
        }
        for _ in 0..<2 {
            for name in Self.deviceNames { try await sync(name) }
        }
    }

    // MARK: What the UI reads and does

    /// The store of device `name` (a new one after a reinstall).
    public func store(named name: String) -> DeviceStore? {
        lock.withLock { stores[name] }
    }

    public var currentStatus: DemoStatus {
        lock.withLock { status }
    }

    public func setPaused(_ paused: Bool) {
        lock.withLock { status.paused = paused }
    }

    /// Multiplies the pace by `factor`, between a quarter and 16 times.
    public func changeSpeed(by factor: Double) {
        lock.withLock { status.speed = min(16, max(0.25, status.speed * factor)) }
    }

    /// The person takes `name` offline if it is online, online if not; from
    /// then on the script leaves its link alone.
    public func toggleOnline(_ name: String) throws {
        try lock.withLock {
            guard let device = status.device(name) else { throw TandemError.noSuchDevice(name: name) }
            held.insert(name)
            try setLink(name, !device.online)
        }
    }

    /// Cuts or restores the device's way to the vault, at once, unless the
    /// person holds it.
    func setOnline(_ name: String, _ online: Bool) throws {
        try lock.withLock {
            guard !held.contains(name) else { return }
            try setLink(name, online)
        }
    }

    /// Call with the lock held.
    private func setLink(_ name: String, _ online: Bool) throws {
        guard let index = status.devices.firstIndex(where: { $0.name == name }) else { return }
        let exists = (try? FileManager.default.destinationOfSymbolicLink(atPath: link(name).path)) != nil
        if online && !exists {
            try FileManager.default.createSymbolicLink(at: link(name), withDestinationURL: vaultURL)
        } else if !online && exists {
            try FileManager.default.removeItem(at: link(name))
        }
        status.devices[index].online = online
        status.devices[index].lastAction = online ? "back online" : "offline: writes queue here"
    }

    /// The store of `name`, or an error that says there is none.
    private func requireStore(_ name: String) throws -> DeviceStore {
        guard let store = store(named: name) else { throw TandemError.noSuchDevice(name: name) }
        return store
    }

    /// Queues a reinstall of `name` for the background loop (it runs between
    /// two steps, never during one). An offline device cannot reinstall: it
    /// could not restore anything.
    public func requestReinstall(_ name: String) throws {
        try lock.withLock {
            guard status.device(name)?.online == true else {
                throw TandemError.vaultUnreachable(path: link(name).path)
            }
            pending.append(.reinstall(device: name))
            if let index = status.devices.firstIndex(where: { $0.name == name }) { status.devices[index].lastAction = "reinstalling…" }
        }
    }

    // MARK: The background

    /// Starts acting out the script in real time.
    public func start() {
        guard loop == nil else { return }
        loop = Task.detached { [self] in
            var due = ContinuousClock.now + .milliseconds(1200)
            while !Task.isCancelled {
                let (queued, paused, speed) = lock.withLock { () -> ([DemoAction], Bool, Double) in
                    defer { pending.removeAll() }
                    return (pending, status.paused, status.speed)
                }
                for action in queued { await perform(action) }
                if !paused && ContinuousClock.now >= due {
                    await step()
                    due = ContinuousClock.now + Self.interval / speed
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Stops the background and waits for the step under way, then closes
    /// every store so the CLI finds them as they should be.
    public func stop() async {
        loop?.cancel()
        await loop?.value
        loop = nil
        for store in lock.withLock({ Array(stores.values) }) { try? store.close() }
    }

    /// One step of the script, then a sync of every background device that is online.
    public func step() async {
        let action = lock.withLock { script.next() }
        await perform(action)
        lock.withLock { status.steps += 1 }
        for name in Self.deviceNames where name != watched {
            do { try await sync(name) } catch { record(nil, "\(name): \(error)") }
        }
    }

    private func perform(_ action: DemoAction) async {
        do {
            switch action {
            case .write(let device, let context, let key, let value, let note):
                try requireStore(device).write(context: context, key: key, value: value)
                record(device, note)
            case .delete(let device, let context, let key, let note):
                do {
                    try requireStore(device).write(context: context, key: key, value: nil)
                    record(device, note)
                } catch TandemError.noSuchEntry {
                    record(device, "\(note): it was already gone")
                }
            case .burst(let device, let writes, let note):
                for write in writes { try requireStore(device).write(context: write.context, key: write.key, value: write.value) }
                record(device, note)
            case .concurrentEdit(let context, let key, let writes, let note):
                // Both write before either syncs: neither has seen the other.
                for write in writes { try requireStore(write.device).write(context: context, key: key, value: write.value) }
                for write in writes where write.device != watched { record(write.device, note) }
            case .goOffline(let device):
                try setOnline(device, false)
            case .comeOnline(let device):
                try setOnline(device, true)
                record(device, "back online: pushes what it queued")
            case .toggleOnline(let device):
                try setOnline(device, !(currentStatus.device(device)?.online ?? true))
            case .reinstall(let device):
                try await reinstall(device)
            }
        } catch {
            record(nil, "\(error)")
        }
    }

    /// Wipes `name`'s store and installs it again; it restores everything
    /// from the vault at once (policy accept).
    private func reinstall(_ name: String) async throws {
        guard currentStatus.device(name)?.online == true else {
            record(name, "cannot reinstall while offline")
            return
        }
        // What it has not pushed yet would be lost with the store: push first.
        try await sync(name)
        let old = try requireStore(name)
        let unpushed = try old.outboxCount()
        guard unpushed == 0 else {
            record(name, "not reinstalled: \(unpushed) changes of its own could not be pushed")
            return
        }
        try old.close()
        let fresh: DeviceStore
        do {
            // It checks again, under the device's lock, that nothing waits to be pushed.
            fresh = try await home.reinstallDevice(name: name).store
        } catch {
            let reopened = try DeviceStore.open(at: home.storePath(for: name))
            lock.withLock { stores[name] = reopened }
            throw error
        }
        lock.withLock { stores[name] = fresh }
        let report = try await Synchronizer(device: Device(store: fresh), logger: logger).sync(policies: .all(.accept))
        let counts = try fresh.counts()
        let entries = counts.inSync + counts.outgoing + counts.incoming + counts.conflicts + counts.refused
        record(name, "reinstalled: read \(report.changesPulled) changes from the vault, holds \(entries) entries again")
    }

    @discardableResult
    private func sync(_ name: String) async throws -> SyncReport? {
        guard let store = store(named: name), currentStatus.device(name)?.online == true else { return nil }
        return try await Synchronizer(device: Device(store: store), logger: logger).sync(policies: .all(.accept))
    }

    /// Notes what a device did; with no device, a problem of the background.
    private func record(_ device: String?, _ note: String) {
        lock.withLock {
            guard let device, let index = status.devices.firstIndex(where: { $0.name == device }) else {
                status.problem = note
                return
            }
            status.devices[index].lastAction = note
            status.devices[index].actions += 1
        }
    }
}
