import Foundation
import Testing

/// `tandem simulate` through the built binary: a report a script can read,
/// and an exit code that says whether the devices converged.
@Suite struct SimulateTests {
    @Test(arguments: [1, 2, 3])
    func severalSeedsConverge(seed: Int) throws {
        let cli = CLI()
        let report = try #require(try cli.json("simulate", "--devices", "4", "--steps", "300", "--seed", "\(seed)", "--reinstall-rate", "0.02") as? JSONObject)
        #expect(report["converged"] as? Bool == true, "\(report)")
        #expect((report["operations"] as? Int ?? 0) > 0)
        #expect(report["failures"] as? [Any] == nil || (report["failures"] as? [Any])?.isEmpty == true)
    }

    @Test func aDeviceOfflineThroughoutDeliversItsWritesAtTheEnd() throws {
        let cli = CLI()
        let report = try #require(try cli.json("simulate", "--devices", "3", "--steps", "200", "--seed", "9", "--offline-device", "2") as? JSONObject)
        #expect((report["offlineWrites"] as? Int ?? 0) > 0, "\(report)")
        #expect(report["converged"] as? Bool == true, "\(report)")
    }

    @Test func theTextReportSaysWhatHappened() throws {
        let output = try CLI().ok("simulate", "--devices", "3", "--steps", "100", "--seed", "4")
        for line in ["operations", "syncs", "conflicts", "reinstalls", "converged   yes", "time"] {
            #expect(output.contains(line), "\(output)")
        }
    }

    @Test func badOptionsAreUsageErrors() throws {
        let cli = CLI()
        for arguments in [["--devices", "1"], ["--offline-rate", "2"], ["--offline-device", "5", "--devices", "3"]] {
            let result = try cli.run(["simulate"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
        }
    }
}
