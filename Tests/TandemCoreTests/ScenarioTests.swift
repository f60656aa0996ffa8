import Foundation
import Testing
import TandemCore
import TandemSimulation

/// The simulation's own promises: offline writes arrive, a reinstalled
/// device restores, the same seed replays the same scenario.
@Suite struct ScenarioTests {
    @Test(arguments: [3, 11, 29] as [UInt64])
    func aDeviceOfflineThroughoutDeliversEveryWriteWhenItComesBack(seed: UInt64) async throws {
        let folder = TemporaryFolder()
        let configuration = ScenarioConfiguration(devices: 3, steps: 150, seed: seed, reinstallRate: 0, offlineThroughout: 1)
        let report = try await Scenario(configuration, folder: folder.url).run()
        #expect(report.offlineWrites > 0, "the offline device wrote something")
        #expect(report.converged, "\(report.failures.joined(separator: "; "))")
    }

    @Test(arguments: [5, 17] as [UInt64])
    func reinstalledDevicesEndWithTheSameDataAsTheOthers(seed: UInt64) async throws {
        let folder = TemporaryFolder()
        let scenario = try Scenario(ScenarioConfiguration(devices: 3, steps: 200, seed: seed, reinstallRate: 0.05), folder: folder.url)
        let report = try await scenario.run()
        #expect(report.reinstalls > 0)
        #expect(report.converged, "\(report.failures.joined(separator: "; "))")
        let records = Vault(root: folder.url.appendingPathComponent("vault")).deviceRecords().records
        #expect(records.contains { $0.replaces != nil }, "a new installation names the one it replaced")
    }

    @Test func theSameSeedReplaysTheSameScenario() async throws {
        func run() async throws -> ScenarioReport {
            let folder = TemporaryFolder()
            return try await Scenario(ScenarioConfiguration(devices: 4, steps: 120, seed: 42, reinstallRate: 0.02), folder: folder.url).run()
        }
        var first = try await run(), second = try await run()
        first.duration = .zero
        second.duration = .zero
        #expect(first == second)
        #expect(first.operations > 0)
    }

    @Test func theDemoScriptTellsTheSameStoryForTheSameSeed() {
        var one = DemoScript(seed: 7), two = DemoScript(seed: 7), other = DemoScript(seed: 8)
        let first = (0..<60).map { _ in one.next() }
        #expect(first == (0..<60).map { _ in two.next() })
        #expect(first != (0..<60).map { _ in other.next() })
        #expect(first.contains { if case .concurrentEdit = $0 { true } else { false } }, "a conflict early on")
        #expect(first.contains(.reinstall(device: "tablet")))
        #expect(first.contains(.goOffline(device: "tablet")) && first.contains(.comeOnline(device: "tablet")))
    }
}
