import Foundation
import Testing

/// Several OS processes on one vault at once.
@Suite struct ProcessTests {
    /// Sequence numbers of one device's segments in the vault.
    func seqs(_ cli: CLI, device: String) throws -> [Int] {
        let id = try #require((try cli.json("status", "--device", device) as? JSONObject)?["id"] as? String)
        let folder = cli.vault.appendingPathComponent("log").appendingPathComponent(id)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        #expect(!names.contains { $0.hasPrefix(".tmp-") }, "temporary files left behind")
        return names.compactMap { $0.hasSuffix(".seg") ? Int($0.dropLast(4)) : nil }.sorted()
    }

    func loop(_ cli: CLI, device: String, prefix: String, count: Int) throws -> Process {
        try cli.spawnShell("""
            for i in $(seq 1 \(count)); do
              "$TANDEM" put c \(prefix)-$i "$i" --device \(device) >/dev/null || exit 1
              "$TANDEM" sync --device \(device) --policy accept >/dev/null || exit 1
            done
            """)
    }

    @Test func twoProcessesSyncingDifferentDevicesLoseAndDoubleNothing() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b", "reader"])
        let first = try loop(cli, device: "a", prefix: "a", count: 15)
        let second = try loop(cli, device: "b", prefix: "b", count: 15)
        first.waitUntilExit()
        second.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.terminationStatus == 0)
        #expect(try seqs(cli, device: "a") == Array(1...15))
        #expect(try seqs(cli, device: "b") == Array(1...15))
        try cli.ok("sync", "--device", "reader", "--policy", "accept")
        let entries = try #require(try cli.json("ls", "--device", "reader") as? [JSONObject])
        #expect(entries.count == 30)
        for device in ["a", "b"] {
            try cli.ok("sync", "--device", device, "--policy", "accept")
            #expect((try cli.json("ls", "--device", device) as? [JSONObject])?.count == 30)
        }
    }

    @Test func twoProcessesPushingForTheSameDeviceKeepSeqsUnique() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "reader"])
        let first = try loop(cli, device: "a", prefix: "x", count: 15)
        let second = try loop(cli, device: "a", prefix: "y", count: 15)
        first.waitUntilExit()
        second.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.terminationStatus == 0)
        let seqs = try seqs(cli, device: "a")
        #expect(seqs == Array(1...seqs.count))
        let status = try #require(try cli.json("status", "--device", "a") as? JSONObject)
        #expect(status["pushedSeq"] as? Int == seqs.count)
        #expect((status["counts"] as? JSONObject)?["waitingToPush"] as? Int == 0)
        let report = try #require(try cli.json("sync", "--device", "reader", "--policy", "accept") as? JSONObject)
        #expect((report["problems"] as? [Any])?.isEmpty == true)
        #expect((try cli.json("ls", "--device", "reader") as? [JSONObject])?.count == 30)
    }
}
