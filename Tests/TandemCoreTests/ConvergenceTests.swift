import Foundation
import Testing
import TandemCore
import TandemSimulation

/// The convergence property: whatever happens (random writes, deletions,
/// concurrent edits, offline periods, failing handlers, decisions, random sync
/// order, stores put back from older copies, stores cloned into a second
/// home that keeps working), once every device is online under `accept`, all hold the same data
/// and no write is lost. Replay one seed with `TANDEM_SEED=N swift test --filter Convergence`.
@Suite struct ConvergenceTests {
    static let seeds: [UInt64] = {
        if let seed = ProcessInfo.processInfo.environment["TANDEM_SEED"].flatMap(UInt64.init) { return [seed] }
        return Array(1...1000)
    }()

    /// Async test cases all start at once; the gate keeps a few scenarios
    /// (each with several open stores) running at a time.
    static let gate = Gate(permits: 4)

    @Test(arguments: seeds)
    func devicesConverge(seed: UInt64) async throws {
        await Self.gate.enter()
        defer { Task { await Self.gate.leave() } }
        let folder = TemporaryFolder()
        var generator = SeededGenerator(seed: seed ^ 0xC0FFEE)
        let configuration = ScenarioConfiguration(
            devices: Int.random(in: 3...5, using: &generator), steps: Int.random(in: 20...60, using: &generator), seed: seed,
            storeCopyRate: 0.05, storeRestoreRate: 0.04, cloneRate: 0.01)
        let report = try await Scenario(configuration, folder: folder.url).run()
        #expect(report.converged, "seed \(seed) (replay: TANDEM_SEED=\(seed) swift test --filter Convergence): \(report.failures.joined(separator: "; "))")
    }
}

/// The same property while devices compact their logs at random moments
/// (at once or after a grace), retire installations by reinstalling, and
/// one device sees the vault through a replica that receives every file
/// created, replaced or removed late and in random order: zero divergence,
/// zero lost writes, no deleted entry back. Replay one seed with
/// `TANDEM_SEED=N swift test --filter CompactionConvergence`; more seeds
/// with `TANDEM_SEEDS=N`.
@Suite struct CompactionConvergenceTests {
    static let seeds: [UInt64] = {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment["TANDEM_SEED"].flatMap(UInt64.init) { return [seed] }
        return Array(1...(environment["TANDEM_SEEDS"].flatMap(UInt64.init) ?? 2000))
    }()

    @Test(arguments: seeds)
    func devicesConvergeWhileCompacting(seed: UInt64) async throws {
        await ConvergenceTests.gate.enter()
        defer { Task { await ConvergenceTests.gate.leave() } }
        let folder = TemporaryFolder()
        var generator = SeededGenerator(seed: seed ^ 0xC0DE)
        let configuration = ScenarioConfiguration(
            devices: Int.random(in: 3...4, using: &generator), steps: Int.random(in: 25...50, using: &generator), seed: seed,
            reinstallRate: 0.03, storeCopyRate: 0.03, storeRestoreRate: 0.02,
            compactionRate: ProcessInfo.processInfo.environment["TANDEM_DEBUG_NOCOMPACT"] == nil ? 0.08 : 0, laggingReplica: true)
        let report = try await Scenario(configuration, folder: folder.url).run()
        #expect(report.converged, "seed \(seed) (replay: TANDEM_SEED=\(seed) swift test --filter CompactionConvergence): \(report.failures.joined(separator: "; "))")
    }

    /// The scenarios above do compact: a property that never met a checkpoint would prove nothing.
    @Test func scenariosPlaceAndReadCheckpoints() async throws {
        var placed = 0
        for seed in UInt64(1)...5 {
            let folder = TemporaryFolder()
            let report = try await Scenario(ScenarioConfiguration(devices: 3, steps: 60, seed: seed, compactionRate: 0.08, laggingReplica: true),
                                            folder: folder.url).run()
            #expect(report.converged, "seed \(seed): \(report.failures.joined(separator: "; "))")
            placed += report.checkpoints
        }
        #expect(placed >= 5)
    }

    /// Longer scenarios also leave deletions out of checkpoints once every
    /// device has them: the property above then covers collected tombstones too.
    @Test func longerScenariosCollectTombstones() async throws {
        var collected = 0
        for seed in UInt64(1)...8 {
            let folder = TemporaryFolder()
            // Mostly `accept`: a deletion waiting for a person holds its tombstone back, rightly.
            var configuration = ScenarioConfiguration(devices: 3, steps: 300, seed: seed, offlineRate: 0.01, conflictRate: 0.05,
                                                      reinstallRate: 0, storeCopyRate: 0.03, storeRestoreRate: 0.02,
                                                      compactionRate: 0.1, laggingReplica: true, keysPerContext: 30)
            configuration.syncPolicies = [.accept, .accept, .accept, .review]
            let report = try await Scenario(configuration, folder: folder.url).run()
            #expect(report.converged, "seed \(seed): \(report.failures.joined(separator: "; "))")
            collected += report.tombstonesCollected
        }
        #expect(collected > 0, "no scenario collected a tombstone")
    }
}

/// A counting semaphore for async code.
actor Gate {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) {
        free = permits
    }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
