import Logging

/// The library API an app uses (DESIGN §5): register contexts with handlers,
/// write locally at once, and let syncs run in the background.
///
/// ```swift
/// let device = TandemDevice(device: Device(store: try DeviceStore.open(at: path)))
/// await device.addSyncContext("friends",
///     onInsert: { change in model.insert(change); return .applied },
///     onModify: { change in model.update(change); return .applied },
///     onDelete: { change in model.remove(change); return .applied })
/// try await device.upsert("friends", key: "alice", value: #"{"age":30}"#)
/// let report = try await device.sync()
/// ```
public actor TandemDevice {
    /// The device it drives: its store, its vault and key.
    public nonisolated let device: Device
    public nonisolated var store: DeviceStore { device.store }
    private var synchronizer: Synchronizer
    private var handlers: [String: ContextHandlers] = [:]
    private var policies: PolicyMap
    /// How long a write waits for more writes before its sync starts.
    public var coalescingDelay: Duration
    private var scheduled: Task<Void, Never>?
    private var running: Task<SyncReport, any Error>?
    /// Syncs under way now, and the most there ever were at once (one).
    private(set) var syncsRunning = 0
    private(set) var mostSyncsAtOnce = 0
    /// The outcome of the last background sync.
    public private(set) var lastReport: SyncReport?
    public private(set) var lastError: TandemError?

    /// Drives `store` as a device of its own (for an encrypted vault, unlock
    /// `device` first or remember the key in the store).
    public init(store: DeviceStore, policy: SyncPolicy = .review, coalescingDelay: Duration = .milliseconds(200),
                logger: Logger = Logger(label: "tandem.sync")) {
        self.init(device: Device(store: store), policy: policy, coalescingDelay: coalescingDelay, logger: logger)
    }

    public init(device: Device, policy: SyncPolicy = .review, coalescingDelay: Duration = .milliseconds(200),
                logger: Logger = Logger(label: "tandem.sync")) {
        let store = device.store
        self.device = device
        self.synchronizer = Synchronizer(device: device, logger: logger)
        self.coalescingDelay = coalescingDelay
        self.policies = PolicyMap(fallback: policy, contexts: (try? store.policies()) ?? [:])
    }

    /// Registers a context whose incoming changes go to the app's handlers.
    public func addSyncContext(
        _ name: String,
        onInsert: @escaping ContextHandlers.Handler,
        onModify: @escaping ContextHandlers.Handler,
        onDelete: @escaping ContextHandlers.Handler
    ) throws(TandemError) {
        let name = try Validation.contextName(name)
        handlers[name] = ContextHandlers(onInsert: onInsert, onModify: onModify, onDelete: onDelete)
        policies.contexts[name] = .handlers
    }

    /// Registers a migration of a context's values from schema `from` to `to`:
    /// a pure function on the JSON value. Register every step before
    /// ``setSchema(_:version:)`` and before the first sync, so that vault
    /// entries of older schemas are migrated as they are applied.
    ///
    /// ```swift
    /// try await device.registerMigration("friends", from: 1, to: 2) { value in
    ///     try FieldOperation.rename(from: "/name", to: "/fullName").apply(to: value)
    /// }
    /// ```
    public func registerMigration(_ context: String, from: Int, to: Int, _ transform: @escaping SchemaStep.Transform) throws(TandemError) {
        try store.registerMigration(context: context, SchemaStep(from: from, to: to, transform: transform))
    }

    /// Declares the schema version the app writes for `context` and migrates
    /// the local entries of older schemas to it, in one transaction (DESIGN §8,
    /// the edge). Calling it again with the same version changes nothing.
    @discardableResult
    public func setSchema(_ context: String, version: Int) throws(TandemError) -> MigrationReport {
        let report = try store.migrateContext(context, to: version)
        if !report.migrated.isEmpty { scheduleSync() }
        return report
    }

    /// Sets a context's policy (`review` or `accept`) and remembers it in the store.
    public func setPolicy(_ policy: SyncPolicy, for context: String) throws(TandemError) {
        try store.setPolicy(policy, for: context)
        policies.contexts[context] = policy
    }

    /// Writes locally at once (offline works) and schedules a coalesced sync.
    @discardableResult
    public func upsert(_ context: String, key: String, value: String) throws(TandemError) -> DeviceStore.WriteOutcome {
        let outcome = try store.write(context: context, key: key, value: value)
        if outcome != .unchanged { scheduleSync() }
        return outcome
    }

    /// Deletes locally at once and schedules a coalesced sync; deleting what
    /// is not there does nothing.
    @discardableResult
    public func delete(_ context: String, key: String) throws(TandemError) -> DeviceStore.WriteOutcome {
        do {
            let outcome = try store.write(context: context, key: key, value: nil)
            if outcome != .unchanged { scheduleSync() }
            return outcome
        } catch .noSuchEntry {
            return .unchanged
        }
    }

    public func entry(_ context: String, key: String) throws(TandemError) -> EntryStatus? {
        try store.entry(context: context, key: key)
    }

    public func entries(_ context: String? = nil) throws(TandemError) -> [EntryStatus] {
        try store.entries(context: context)
    }

    /// The entries whose vault change waits for a decision here (incoming and
    /// conflicts), as a review screen lists them.
    public func waiting(_ context: String? = nil) throws(TandemError) -> [EntryStatus] {
        try store.entries(context: context, states: [.incoming, .conflict])
    }

    /// Accepts, refuses or keeps this device's data over an incoming change
    /// (`shown` names the version the person saw, so a newer one that
    /// arrived meanwhile is not decided unseen), and schedules a sync to
    /// publish what the decision wrote.
    @discardableResult
    public func decide(_ decision: Decision, _ context: String, key: String, shown: ShownVersion? = nil) throws(TandemError) -> EntryStatus {
        let status = try store.decide(decision, context: context, key: key, shown: shown)
        scheduleSync()
        return status
    }

    /// Resolves a conflict with one version that supersedes all of them, and
    /// schedules a sync to publish it.
    @discardableResult
    public func resolve(_ context: String, key: String, _ resolution: Resolution) throws(TandemError) -> EntryStatus {
        let status = try store.resolve(context: context, key: key, resolution)
        scheduleSync()
        return status
    }

    /// Forgets one context's local data, as if the app were reinstalled.
    @discardableResult
    public func wipeLocalContext(_ name: String) throws(TandemError) -> Int {
        try store.wipeLocalContext(name)
    }

    /// Pull, reconcile, push, now; waits for a sync already running first.
    ///
    /// Each sync's task waits for the one asked for before it, so syncs run
    /// one at a time in the order asked however many callers wait, and
    /// ``waitUntilIdle()`` waits for the last of them: a sync that ends
    /// clears the marker only if no later one took its place.
    public func sync() async throws -> SyncReport {
        let previous = running
        let synchronizer = self.synchronizer
        let policies = self.policies
        let handlers = self.handlers
        let task = Task {
            _ = try? await previous?.value
            syncsRunning += 1
            defer { syncsRunning -= 1 }
            mostSyncsAtOnce = max(mostSyncsAtOnce, syncsRunning)
            return try await synchronizer.sync(policies: policies, handlers: handlers)
        }
        running = task
        defer { if running == task { running = nil } }
        do {
            let report = try await task.value
            lastReport = report
            lastError = nil
            return report
        } catch let error as TandemError {
            lastError = error
            throw error
        }
    }

    /// Many quick writes share one sync: the first write schedules it after
    /// ``coalescingDelay``; later writes before it starts join it.
    private func scheduleSync() {
        guard scheduled == nil else { return }
        let delay = coalescingDelay
        scheduled = Task { [weak self] in
            try? await Task.sleep(for: delay)
            await self?.runScheduledSync()
        }
    }

    private func runScheduledSync() async {
        scheduled = nil
        _ = try? await sync()
    }

    /// Waits until no background sync is scheduled or running.
    public func waitUntilIdle() async {
        while true {
            if let pending = scheduled {
                await pending.value
                continue
            }
            guard let current = running else { return }
            _ = try? await current.value
            // Its caller may not have cleared the marker yet; a newer sync
            // has replaced it when it is another task.
            if running == current { return }
        }
    }
}
