import Foundation
import Logging
import TandemCore

/// The knobs of a seeded scenario.
public struct ScenarioConfiguration: Sendable, Equatable {
    public var devices: Int
    public var steps: Int
    public var seed: UInt64
    /// Chance per step that a device goes offline (it comes back later).
    public var offlineRate: Double
    /// Chance per step of a concurrent edit of one entry on two devices.
    public var conflictRate: Double
    /// Chance that a handler fails (the sync stops there and retries later).
    public var handlerFailureRate: Double
    /// Chance per step that a device is reinstalled: its store wiped, a new
    /// installation restoring everything from the vault.
    public var reinstallRate: Double
    /// Chance per step that a device's store is copied aside (a backup of
    /// its home), and that a device's store is put back from its latest
    /// copy (the backup restored): it must take back its later history
    /// without reusing a counter, or become a new device.
    public var storeCopyRate: Double
    public var storeRestoreRate: Double
    /// Chance per step that a device's store is copied into a new home that
    /// keeps working beside it (a cloned machine); at most `maxDevices` devices.
    public var cloneRate: Double
    /// A device (by index) that stays offline for the whole script: its
    /// writes all queue and must all arrive once it comes back at the end.
    public var offlineThroughout: Int?
    /// Chance per step that a device compacts its log at once (`tandem
    /// compact`, with no grace or a short one); with it, every sync also
    /// compacts by itself after a few segments.
    public var compactionRate: Double
    /// Device 1 reaches the vault through a replica that receives each
    /// file created, replaced or removed late and in random order (a
    /// synced folder on another machine), and delivers its own files the same way.
    public var laggingReplica: Bool
    /// The policies a scripted sync picks from, at random.
    public var syncPolicies: [SyncPolicy] = [.review, .accept, .handlers]
    public var contexts: [String]
    public var keysPerContext: Int

    public init(devices: Int = 3, steps: Int = 40, seed: UInt64 = 1, offlineRate: Double = 0.05, conflictRate: Double = 0.1,
                handlerFailureRate: Double = 0.1, reinstallRate: Double = 0.01, storeCopyRate: Double = 0, storeRestoreRate: Double = 0,
                cloneRate: Double = 0, offlineThroughout: Int? = nil, compactionRate: Double = 0, laggingReplica: Bool = false,
                contexts: [String] = ["friends", "settings"], keysPerContext: Int = 6) {
        self.compactionRate = compactionRate
        self.laggingReplica = laggingReplica
        self.devices = devices
        self.steps = steps
        self.seed = seed
        self.offlineRate = offlineRate
        self.conflictRate = conflictRate
        self.handlerFailureRate = handlerFailureRate
        self.reinstallRate = reinstallRate
        self.storeCopyRate = storeCopyRate
        self.storeRestoreRate = storeRestoreRate
        self.cloneRate = cloneRate
        self.offlineThroughout = offlineThroughout
        self.contexts = contexts
        self.keysPerContext = keysPerContext
    }
}

/// What a scenario did and whether its devices converged.
public struct ScenarioReport: Sendable, Equatable {
    public var seed: UInt64
    public var operations = 0
    public var syncs = 0
    public var conflictsSeen = 0
    public var conflictsResolved = 0
    public var reinstalls = 0
    /// Stores put back from an older copy, and stores cloned into a second home.
    public var restores = 0
    public var clones = 0
    /// Writes made by devices while they could not reach the vault.
    public var offlineWrites = 0
    /// Compactions asked for, and checkpoints placed by them or by syncs.
    public var compactions = 0
    /// Stores refused as a retired device's, which rejoined as new devices.
    public var rejoins = 0
    public var checkpoints = 0
    /// Deletions left out of checkpoints once every device had them.
    public var tombstonesCollected = 0
    public var converged = false
    /// Why the scenario is not a success: devices that differ, writes lost.
    public var failures: [String] = []
    public var duration: Duration = .zero
}

/// Runs devices on one vault through a seeded script of writes, deletions,
/// concurrent edits, offline periods, decisions and syncs in random order,
/// then brings everyone online under `accept` and checks convergence: every
/// device holds the same data, and every write is present, superseded by a
/// write that saw it, or recorded as a conflict loser.
public final class Scenario: @unchecked Sendable {
    public let configuration: ScenarioConfiguration
    public let folder: URL
    public let clock = VirtualClock()
    public private(set) var devices: [SimulatedDevice] = []
    private var random: SeededGenerator
    private var report: ScenarioReport
    /// Every version written, by context/key, with the device that wrote it.
    private var written: [String: [Write]] = [:]

    private struct Write {
        var version: EntryVersion
        var writer: String
        /// Its place in the order of all writes, to tell which copies of a store hold it.
        var serial: Int
    }
    private var writes = 0
    private let failingKeys = FailingKeys()
    /// The latest copy of each device's store, by device name: how many
    /// writes had been made when it was taken, and the version each of the
    /// device's writes had then (a copy taken after its store became a new
    /// device holds them moved to the new id).
    private var copies: [String: StoreCopy] = [:]
    private let vaultRoot: URL
    private var replica: LaggingReplica?

    private struct StoreCopy {
        var url: URL
        var writes: Int
        var versions: [Int: EntryVersion]
    }

    public init(_ configuration: ScenarioConfiguration, folder: URL) throws {
        self.configuration = configuration
        self.folder = folder
        self.random = SeededGenerator(seed: configuration.seed)
        self.report = ScenarioReport(seed: configuration.seed)
        let vault = Vault(root: folder.appendingPathComponent("vault"))
        let descriptor = try Vault.create(at: vault.root, owner: "simulation", protection: .none).descriptor
        vaultRoot = vault.root
        if configuration.laggingReplica {
            replica = try LaggingReplica(of: vault.root, at: folder.appendingPathComponent("replica", isDirectory: true),
                                         maxLagMillis: Self.replicaMaxLagMillis)
        }
        for index in 0..<configuration.devices {
            let skew = Int64.random(in: -3_600_000...3_600_000, using: &random)
            devices.append(try SimulatedDevice(name: "device\(index)", id: DeviceID.random(using: &random), folder: folder, vault: vault,
                                               descriptor: descriptor, clock: clock.skewed(by: skew),
                                               reaching: index == 1 ? replica?.replica : nil))
        }
    }

    /// Scenarios run by the thousand: their syncs log nothing.
    private let logger = Logger(label: "tandem.simulation", factory: { _ in SwiftLogNoOpLogHandler() })

    public func run() async throws -> ScenarioReport {
        defer { for device in devices { device.close() } }
        if let index = configuration.offlineThroughout, devices.indices.contains(index) {
            try devices[index].setOnline(false)
        }
        let started = ContinuousClock.now
        for _ in 0..<configuration.steps {
            clock.advance(by: Int64.random(in: 1...5_000, using: &random))
            replica?.deliver(chance: 0.3, now: clock.now, using: &random)
            try await step()
        }
        try await settle()
        try check()
        report.duration = ContinuousClock.now - started
        return report
    }

    private func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &random)]
    }

    private func randomKey() -> (String, String) {
        (pick(configuration.contexts), "k\(Int.random(in: 0..<configuration.keysPerContext, using: &random))")
    }

    private func randomValue() -> String {
        "{\"n\":\(Int.random(in: 0..<1000, using: &random)),\"at\":\(clock.now)}"
    }

    private func write(_ device: SimulatedDevice, _ context: String, _ key: String, _ value: String?) throws {
        do {
            if case .written(let version) = try device.store.write(context: context, key: key, value: value) {
                writes += 1
                written["\(context)/\(key)", default: []].append(Write(version: version, writer: device.name, serial: writes))
                if !device.isOnline { report.offlineWrites += 1 }
            }
            report.operations += 1
        } catch TandemError.noSuchEntry {
            // Deleting what is not there: nothing to do.
        }
    }

    private func step() async throws {
        let roll = Double.random(in: 0..<1, using: &random)
        let device = pick(devices)
        let pinnedOffline = configuration.offlineThroughout.map { devices.indices.contains($0) && devices[$0] === device } ?? false
        if random.chance(configuration.offlineRate) {
            if !pinnedOffline { try device.setOnline(!device.isOnline) }
            return
        }
        if random.chance(configuration.reinstallRate), device.isOnline {
            try await reinstall(device)
            return
        }
        if random.chance(configuration.storeCopyRate) {
            let copy = folder.appendingPathComponent("copies/\(device.name)-\(report.operations)-\(report.syncs)", isDirectory: true)
            try device.saveCopy(to: copy)
            var versions: [Int: EntryVersion] = [:]
            for write in written.values.joined() where write.writer == device.name { versions[write.serial] = write.version }
            copies[device.name] = StoreCopy(url: copy, writes: writes, versions: versions)
            return
        }
        if random.chance(configuration.storeRestoreRate), let copy = copies[device.name] {
            try restore(device, from: copy)
            return
        }
        if random.chance(configuration.compactionRate), device.isOnline {
            try await compact(device)
            return
        }
        if random.chance(configuration.cloneRate), devices.count < 8 {
            devices.append(try SimulatedDevice(cloning: device, name: "device\(devices.count)", folder: folder, reaching: vaultRoot))
            report.clones += 1
            return
        }
        if random.chance(configuration.conflictRate), devices.count >= 2 {
            let (context, key) = randomKey()
            let first = pick(devices)
            let second = pick(devices.filter { $0 !== first })
            try write(first, context, key, randomValue())
            try write(second, context, key, randomValue())
            return
        }
        switch roll {
        case ..<0.35:
            let (context, key) = randomKey()
            try write(device, context, key, randomValue())
        case ..<0.45:
            let (context, key) = randomKey()
            try write(device, context, key, nil)
        case ..<0.55:
            try decide(device)
        default:
            try await sync(device, policy: pick(configuration.syncPolicies))
        }
    }

    /// A person's decisions on one device: a few incoming changes and
    /// conflicts, as someone going through their lists would (one at a time
    /// let conflicts pile up faster than anyone resolves them).
    private func decide(_ device: SimulatedDevice) throws {
        for change in try device.store.entries(states: [.incoming], limit: 3) {
            try device.store.decide(pick([Decision.accept, .refuse, .keepMine]), context: change.context, key: change.key)
            report.operations += 1
        }
        for conflict in try device.store.entries(states: [.conflict], limit: 3) {
            let resolution = pick([Resolution.keepLocal, .takeRemote(device: nil), .merge(value: randomValue())])
            try device.store.resolve(context: conflict.context, key: conflict.key, resolution)
            report.conflictsResolved += 1
            report.operations += 1
        }
    }

    private func sync(_ device: SimulatedDevice, policy: SyncPolicy) async throws {
        var handlers: [String: ContextHandlers] = [:]
        var policies = PolicyMap.all(policy == .handlers ? .review : policy)
        if policy == .handlers {
            let failureRate = configuration.handlerFailureRate
            let seed = UInt64.random(in: .min ... .max, using: &random)
            let failing = failingKeys
            failing.reset(seed: seed)
            let handler: ContextHandlers.Handler = { _ in failing.next(failureRate) }
            for context in configuration.contexts {
                handlers[context] = ContextHandlers(onInsert: handler, onModify: handler, onDelete: handler)
                policies.contexts[context] = .handlers
            }
        }
        guard let result = try await syncUnlessRetired(device, policies: policies, handlers: handlers) else { return }
        try follow(result.identityChange, of: device)
        report.syncs += 1
        report.conflictsSeen = max(report.conflictsSeen, result.conflicts)
        if result.compaction?.checkpoint != nil { report.checkpoints += 1 }
        report.tombstonesCollected += result.compaction?.tombstonesCollected ?? 0
        // Through a lagging replica a log has holes for a while: the files after them came first.
        let problems = replica == nil ? result.problems : result.problems.filter { FileManager.default.fileExists(atPath: $0.path) }
        guard problems.isEmpty else {
            throw ScenarioError(description: "seed \(configuration.seed): \(result.problems.map(\.message).joined(separator: "; "))")
        }
    }

    /// Syncs `device`; nil when its store was refused as a retired
    /// device's (a copy put back from before it was reinstalled, say). As
    /// the message offers, it then rejoins as a new device that keeps what
    /// it had not published, and syncs at its next turn.
    private func syncUnlessRetired(_ device: SimulatedDevice, policies: PolicyMap,
                                   handlers: [String: ContextHandlers] = [:]) async throws -> SyncReport? {
        do {
            return try await synchronizer(device).sync(policies: policies, handlers: handlers)
        } catch TandemError.deviceRetired {
            try follow(try await synchronizer(device).rejoin(), of: device)
            report.rejoins += 1
            return nil
        }
    }

    /// The lagging replica delivers every file within this, by the scenario's
    /// clock; the tombstone grace is longer, as it must be (VaultFormat,
    /// "Collected tombstones").
    static let replicaMaxLagMillis: Int64 = 6_000
    static let tombstoneGraceMillis: Int64 = 8_000

    /// A sync of `device`; with compaction on, it folds its log after a few
    /// segments and collects tombstones after a short grace.
    private func synchronizer(_ device: SimulatedDevice) -> Synchronizer {
        var synchronizer = Synchronizer(device: Device(store: device.store), logger: logger)
        if configuration.compactionRate > 0 {
            synchronizer.compactAfterSegments = 4
            synchronizer.compactionGraceMillis = 10_000
            synchronizer.tombstoneGraceMillis = Self.tombstoneGraceMillis
        }
        return synchronizer
    }

    /// `tandem compact` on `device`: at once, or with a short grace.
    private func compact(_ device: SimulatedDevice) async throws {
        let grace: Int64 = random.chance(0.5) ? 0 : 20_000
        do {
            let result = try await synchronizer(device).compact(graceMillis: grace, dryRun: false, upgrade: false)
            if result.checkpoint != nil { report.checkpoints += 1 }
            report.tombstonesCollected += result.tombstonesCollected
        } catch TandemError.syncFirst, TandemError.deviceRetired {
            // A store put back from a copy: compact says to sync first, and the next sync settles it.
        }
        report.compactions += 1
        report.operations += 1
    }

    /// The app on `device` is reinstalled. What it has not pushed would be lost
    /// with its store, as on a real device, so it pushes first (under
    /// `accept`: no handler stops the push); then the new installation
    /// restores everything from the vault.
    private func reinstall(_ device: SimulatedDevice) async throws {
        try await sync(device, policy: .accept)
        guard try device.store.outbox(limit: 1).isEmpty else { return }
        try device.reinstall(as: DeviceID.random(using: &random))
        report.reinstalls += 1
        try await sync(device, policy: .accept)
    }

    /// Puts back a device's older copy. The writes it made since that it
    /// had not published are gone with the store it replaces, as on a real
    /// machine: they leave the list of writes that must survive. Everything
    /// it had published must survive.
    private func restore(_ device: SimulatedDevice, from copy: StoreCopy) throws {
        var published: [String: [EntryVersion]] = [:]
        for entry in try device.store.entries() { published["\(entry.context)/\(entry.key)"] = entry.vault }
        try device.restoreCopy(from: copy.url)
        for (path, writes) in written {
            written[path] = writes.compactMap { write in
                guard write.writer == device.name else { return write }
                if (published[path] ?? []).contains(where: { $0.vector.includes(write.version.vector) }) { return write }
                // Not published: the copy holds it as it was then, or not at all.
                guard write.serial <= copy.writes, let then = copy.versions[write.serial] else { return nil }
                return Write(version: then, writer: write.writer, serial: write.serial)
            }
        }
        report.restores += 1
    }

    /// A store that became a device of its own moved its unpublished writes
    /// to its new id: the writes to check are those, found by content. A
    /// write of this device that a later write of its own replaced in its
    /// outbox before the move is represented by that later write.
    private func follow(_ change: DeviceStore.IdentityChange?, of device: SimulatedDevice) throws {
        guard let change else { return }
        // A sync that stopped at a failing handler pushed nothing: the moved writes may still wait in the outbox.
        var queued: [String: [EntryVersion]] = [:]
        for change in try device.store.outbox() { queued["\(change.context)/\(change.key)", default: []].append(change.version) }
        for entry in try device.store.entries() {
            let path = "\(entry.context)/\(entry.key)"
            let moved = (entry.vault + (entry.local.map { [$0] } ?? []) + (queued[path] ?? [])).filter { $0.origin == change.now }
            guard let latest = moved.max(by: { $0.timestamp < $1.timestamp }), let writes = written[path] else { continue }
            written[path] = writes.map { write in
                guard write.writer == device.name, write.version.origin == change.was, !entry.vault.contains(write.version) else { return write }
                let match = moved.first { $0.value == write.version.value && $0.timestamp == write.version.timestamp }
                    ?? (latest.timestamp >= write.version.timestamp ? latest : nil)
                return match.map { Write(version: $0, writer: write.writer, serial: write.serial) } ?? write
            }
        }
    }

    /// Everyone online, `accept` everywhere, until a whole round moves nothing.
    private func settle() async throws {
        for device in devices { try device.setOnline(true) }
        for _ in 0..<8 {
            var moved = 0
            for device in devices {
                replica?.deliverAll()
                guard let result = try await syncUnlessRetired(device, policies: .all(.accept)) else {
                    moved += 1
                    continue
                }
                try follow(result.identityChange, of: device)
                report.syncs += 1
                guard result.problems.isEmpty else {
                    throw ScenarioError(description: "seed \(configuration.seed): \(result.problems.map(\.message).joined(separator: "; "))")
                }
                moved += result.changesPulled + result.changesPushed + result.applied
            }
            if moved == 0 { return }
        }
        report.failures.append("still moving after 8 rounds of syncs")
    }

    private func check() throws {
        let reference = try data(devices[0])
        for device in devices.dropFirst() {
            let other = try data(device)
            if other != reference {
                let differing = Set(reference.keys).union(other.keys).filter { reference[$0] != other[$0] }.sorted()
                report.failures.append("\(device.name) differs from \(devices[0].name) at \(differing.joined(separator: ", "))")
                for path in differing { report.failures.append(try describe(path)) }
            }
        }
        for (path, writes) in written.sorted(by: { $0.key < $1.key }) {
            let versions = writes.map(\.version)
            let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
            let vault = try devices[0].store.entry(context: parts[0], key: parts[1])?.vault ?? []
            // A deletion every device had may be gone from the vault view with its entry
            // (collected), and so may the writes it deleted.
            let lost = versions.filter { version in
                if vault.contains(where: { $0.vector.includes(version.vector) }) { return false }
                return !(vault.isEmpty && versions.contains { $0.isDeletion && $0.vector.includes(version.vector) })
            }
            for back in vault {
                if let deletion = versions.first(where: { $0.isDeletion && $0.vector != back.vector && $0.vector.includes(back.vector) }) {
                    report.failures.append("\(path): version [\(back.vector.compactText)] is back after deletion [\(deletion.vector.compactText)]")
                }
            }
            for version in lost {
                report.failures.append("write \(version.versionID) of \(path) (\(version.value ?? "deleted") [\(version.vector.compactText)]) is lost")
            }
            if !lost.isEmpty { report.failures.append(try describe(path)) }
        }
        report.converged = report.failures.isEmpty
    }

    /// Each device's views of one entry, for a failure message.
    private func describe(_ path: String) throws -> String {
        let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
        var lines = [path + ":"]
        for device in devices {
            guard let entry = try device.store.entry(context: parts[0], key: parts[1]) else {
                lines.append("  \(device.name): nothing")
                continue
            }
            func show(_ version: EntryVersion?) -> String {
                guard let version else { return "none" }
                return "\(version.value ?? "deleted") [\(version.vector.compactText)] @\(version.timestamp) by \(version.origin)"
            }
            lines.append("  \(device.name) (\(try device.store.info().id)): \(entry.state.rawValue) local=\(show(entry.local)) vault=\(entry.vault.map(show).joined(separator: " | "))")
        }
        return lines.joined(separator: "\n")
    }

    private func data(_ device: SimulatedDevice) throws -> [String: String] {
        var result: [String: String] = [:]
        for entry in try device.store.entries() {
            if let value = entry.value { result["\(entry.context)/\(entry.key)"] = value }
        }
        return result
    }
}

/// Why a scenario could not run.
public struct ScenarioError: Error, CustomStringConvertible {
    public var description: String
}

/// Decides, from a seed, which handler calls fail; shared by the handlers of one sync.
final class FailingKeys: @unchecked Sendable {
    private let lock = NSLock()
    private var random = SeededGenerator(seed: 0)

    func reset(seed: UInt64) {
        lock.lock(); defer { lock.unlock() }
        random = SeededGenerator(seed: seed)
    }

    func next(_ failureRate: Double) -> HandlerResult {
        lock.lock(); defer { lock.unlock() }
        if random.chance(failureRate) { return .failure("simulated failure") }
        if random.chance(0.1) { return .refused }
        return .applied
    }
}
