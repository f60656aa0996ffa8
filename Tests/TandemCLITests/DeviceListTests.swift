import Foundation
import Testing

/// `tandem device list` marks as current the device the other commands
/// would use with the same options.
@Suite struct DeviceListTests {
    @Test func theDeviceGivenWithDeviceIsTheCurrentOne() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        func current(_ arguments: String...) throws -> [String] {
            let result = try cli.run(["device", "list"] + arguments + ["--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let rows = try #require(try result.json() as? [JSONObject])
            return rows.filter { $0["current"] as? Bool == true }.compactMap { $0["name"] as? String }
        }
        let byDefault = try current()
        #expect(byDefault.count == 1)
        #expect(try current("--device", "laptop") == ["laptop"])
        #expect(try current("--device", "phone") == ["phone"])
        let unknown = try cli.run(["device", "list", "--device", "tablet"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("tablet"), "\(unknown.stderr)")
    }

    /// A name a live device of the vault has is refused, from another
    /// machine too, with nothing written; a reinstall that names the device
    /// it replaces keeps the name, and the list shows the old one as replaced.
    @Test func aTakenNameIsRefusedUnlessTheNewDeviceReplacesIt() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "notes", "k", "1", "--sync")
        let otherMachine = ["TANDEM_HOME": cli.root.appendingPathComponent("other-home").path]
        let before = cli.files().filter { $0.key.hasPrefix(cli.vault.path) }
        let taken = try cli.run(["device", "create", "laptop", "--vault", cli.vault.path], environment: otherMachine)
        #expect(taken.status != 0)
        #expect(taken.stderr.contains("already has a device named 'laptop'") && taken.stderr.contains("--replaces 'laptop'"), "\(taken.stderr)")
        #expect(cli.files().filter { $0.key.hasPrefix(cli.vault.path) } == before, "a refused device wrote to the vault")
        #expect(!FileManager.default.fileExists(atPath: cli.root.appendingPathComponent("other-home/devices/laptop").path))
        let nothing = try cli.run(["device", "create", "laptop", "--vault", cli.vault.path, "--replaces", "tablet"], environment: otherMachine)
        #expect(nothing.status != 0 && nothing.stderr.contains("no device 'tablet' to replace"), "\(nothing.stderr)")

        let old = try #require((try cli.json("status") as? JSONObject)?["id"] as? String)
        let reinstalled = try cli.run(["device", "create", "laptop", "--vault", cli.vault.path, "--replaces", "laptop", "--json"],
                                      environment: otherMachine)
        #expect(reinstalled.status == 0, "\(reinstalled.stderr)")
        let new = try #require((try reinstalled.json() as? JSONObject)?["id"] as? String)
        let rows = try #require(try cli.json("device", "list") as? [JSONObject])
        #expect(rows.first { $0["id"] as? String == old }?["replacedBy"] as? String == "laptop (\(new))", "\(rows)")
        #expect(try cli.ok("device", "list").contains("replaced by laptop (\(new))"))
        // The reinstalled device restores what the old one wrote.
        let sync = try cli.run(["sync", "--policy", "accept"], environment: otherMachine)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(try cli.run(["get", "notes", "k"], environment: otherMachine).stdout == "1\n")
    }
}
