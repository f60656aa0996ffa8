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
