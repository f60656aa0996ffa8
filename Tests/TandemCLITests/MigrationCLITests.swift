import Foundation
import Testing

/// Schema versions and migrations through the built binary: files, dry runs,
/// devices upgrading at different times, a killed migration, bad input.
@Suite struct MigrationCLITests {
    static let toTwo = """
        {"context": "friends", "migrations": [
          {"from": 1, "to": 2, "operations": [{"op": "rename", "from": "/name", "path": "/fullName"}, {"op": "remove", "path": "/legacy"}]}]}
        """
    static let toThree = """
        {"context": "friends", "migrations": [
          {"from": 1, "to": 2, "operations": [{"op": "rename", "from": "/name", "path": "/fullName"}, {"op": "remove", "path": "/legacy"}]},
          {"from": 2, "to": 3, "operations": [{"op": "default", "path": "/tags", "value": []}]}]}
        """

    func file(_ cli: CLI, _ name: String, _ text: String) throws -> String {
        let url = cli.root.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// key → "schema value" of every live local entry of friends on `device`.
    func friends(_ cli: CLI, _ device: String) throws -> [String: String] {
        let entries = try #require(try cli.json("ls", "friends", "--device", device) as? [JSONObject])
        var result: [String: String] = [:]
        for entry in entries {
            guard let key = entry["key"] as? String, let local = entry["local"] as? JSONObject, local["deleted"] as? Bool == false,
                  let schema = local["schema"] as? Int, let value = local["value"] else { continue }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
            result[key] = "\(schema) \(text)"
        }
        return result
    }

    func context(_ cli: CLI, _ device: String) throws -> JSONObject {
        let contexts = try #require(try cli.json("contexts", "--device", device) as? [JSONObject])
        return try #require(contexts.first { $0["name"] as? String == "friends" })
    }

    @Test func threeDevicesUpgradeAtDifferentTimesAndConvergeWithNoConflict() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone", "tablet"])
        try cli.ok("put", "friends", "alice", #"{"name":"Alice","legacy":true}"#, "--device", "laptop")
        try cli.ok("put", "friends", "bob", #"{"name":"Bob"}"#, "--device", "phone")
        try cli.ok("put", "friends", "carol", #"{"name":"Carol"}"#, "--device", "tablet")
        for device in ["laptop", "phone", "tablet", "laptop", "phone"] { try cli.ok("sync", "--device", device, "--policy", "accept") }
        let migrations = try file(cli, "friends.json", Self.toTwo)

        let dryRun = try cli.ok("migrate", migrations, "--dry-run", "--device", "laptop")
        #expect(dryRun.contains("would migrate 3 entries"))
        #expect(dryRun.contains(#"+ {"fullName":"Alice"}"#))
        #expect(try context(cli, "laptop")["schema"] as? Int == 1, "a dry run writes nothing")
        try cli.ok("migrate", migrations, "--device", "laptop")
        #expect(try context(cli, "laptop")["schema"] as? Int == 2)
        #expect(try context(cli, "laptop")["entriesBySchema"] as? [String: Int] == ["2": 3])
        try cli.ok("sync", "--device", "laptop")

        // phone and tablet, still at 1, keep the schema-2 versions untouched.
        for device in ["phone", "tablet"] {
            let before = try friends(cli, device)
            try cli.ok("sync", "--device", device, "--policy", "accept")
            #expect(try friends(cli, device) == before)
            #expect(try cli.ok("ls", "friends", "--device", device).contains("⇡ friends/alice  needs a newer app (schema 2; this app knows 1)"))
            #expect(try context(cli, device)["states"] as? [String: Int] == ["needs-newer-app": 3])
        }
        let overwrite = try cli.run(["put", "friends", "bob", #"{"name":"Robert"}"#, "--device", "phone"])
        #expect(overwrite.status == 1)
        #expect(overwrite.stderr == "tandem: error: friends/bob needs a newer app: it was written with schema 2 of friends, this device knows 1; nothing changed\n")

        for device in ["phone", "tablet"] {
            try cli.ok("migrate", migrations, "--device", device)
            try cli.ok("sync", "--device", device, "--policy", "accept")
        }
        try cli.ok("sync", "--device", "laptop", "--policy", "accept")
        let expected = ["alice": #"2 {"fullName":"Alice"}"#, "bob": #"2 {"fullName":"Bob"}"#, "carol": #"2 {"fullName":"Carol"}"#]
        for device in ["laptop", "phone", "tablet"] {
            #expect(try friends(cli, device) == expected, "\(device)")
            #expect((try cli.json("conflicts", "--device", device) as? [Any])?.isEmpty == true)
            #expect(try context(cli, device)["states"] as? [String: Int] == ["in-sync": 3])
        }
    }

    @Test func aMigrationKilledHalfwayChangesNothingAndARerunMatchesACleanRun() throws {
        let cli = CLI()
        try cli.setUp(devices: ["killed", "clean"])
        for index in 1...8 { try cli.ok("put", "friends", "f\(index)", #"{"name":"F\#(index)","legacy":\#(index)}"#, "--device", "killed") }
        try cli.ok("sync", "--device", "killed")
        try cli.ok("sync", "--device", "clean", "--policy", "accept")
        let migrations = try file(cli, "friends.json", Self.toThree)
        let before = try cli.ok("ls", "--json", "--device", "killed")

        let marker = cli.root.appendingPathComponent("paused").path
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["migrate", migrations, "--device", "killed"]
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_HOME"] = cli.home.path
        environment["TANDEM_TEST_MIGRATION_PAUSE_AFTER"] = "4"
        environment["TANDEM_TEST_MIGRATION_PAUSE_MARKER"] = marker
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker) && Date() < deadline && process.isRunning { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: marker), "the migration never reached its fourth entry")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try cli.ok("ls", "--json", "--device", "killed") == before, "the killed migration left the store as before")
        #expect(try context(cli, "killed")["schema"] as? Int == 1)

        try cli.ok("migrate", migrations, "--device", "killed")
        try cli.ok("migrate", migrations, "--device", "clean")
        let rerun = try friends(cli, "killed")
        #expect(rerun.count == 8)
        #expect(rerun["f3"] == #"3 {"fullName":"F3","tags":[]}"#)
        #expect(rerun == (try friends(cli, "clean")))

        let again = try cli.ok("migrate", migrations, "--device", "killed")
        #expect(again == "friends: already at schema 3; nothing to migrate (8 entries)\n")
        #expect(try friends(cli, "killed") == rerun)
    }

    @Test func aFreshDeviceAtSchemaThreeRestoresAVaultOfSchemaOneAndTwo() throws {
        let cli = CLI()
        try cli.setUp(devices: ["old", "newer"])
        try cli.ok("put", "friends", "alice", #"{"name":"Alice","legacy":1}"#, "--device", "old")
        try cli.ok("put", "friends", "bob", #"{"name":"Bob"}"#, "--device", "old")
        try cli.ok("sync", "--device", "old")
        try cli.ok("migrate", try file(cli, "two.json", Self.toTwo), "--device", "newer")
        try cli.ok("put", "friends", "carol", #"{"fullName":"Carol"}"#, "--device", "newer", "--sync")

        try cli.ok("device", "create", "fresh", "--vault", cli.vault.path)
        let migrated = try cli.ok("migrate", try file(cli, "three.json", Self.toThree), "--device", "fresh")
        #expect(migrated.contains("schema 1 → 3; migrated 0 entries, 0 already at 3"))
        try cli.ok("sync", "--device", "fresh", "--policy", "accept")
        #expect(try friends(cli, "fresh") == [
            "alice": #"3 {"fullName":"Alice","tags":[]}"#,
            "bob": #"3 {"fullName":"Bob","tags":[]}"#,
            "carol": #"3 {"fullName":"Carol","tags":[]}"#,
        ])
        #expect(try context(cli, "fresh")["entriesBySchema"] as? [String: Int] == ["3": 3])
    }

    @Test func badMigrationsAreRefusedInOneLineAndChangeNothing() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "friends", "alice", #"{"name":"Alice"}"#)
        try cli.ok("put", "friends", "zed", #""just text""#)
        let before = try cli.ok("ls", "--json")
        let notJSON = try file(cli, "broken.json", #"{"context": "friends", "migrations": ["#)
        let unknownOp = try file(cli, "copy.json", #"{"context": "friends", "migrations": [{"from": 1, "to": 2, "operations": [{"op": "copy", "from": "/a", "path": "/b"}]}]}"#)
        let cases: [(String, String)] = [
            (notJSON, "\(notJSON): invalid migrations file: not JSON"),
            (unknownOp, "\(unknownOp): invalid migrations file: migration 1, operation 1: unknown op 'copy'"),
            (try file(cli, "two.json", Self.toTwo), "cannot migrate friends/zed: migration 1→2 of "),
            (cli.root.appendingPathComponent("missing.json").path, cli.root.appendingPathComponent("missing.json").path + ": invalid migrations file: no such file"),
        ]
        for (path, message) in cases {
            let result = try cli.run(["migrate", path])
            #expect(result.status == 1, "\(path): \(result.stderr)")
            #expect(result.stderr.hasPrefix("tandem: error: " + message), "\(result.stderr)")
            #expect(result.stderr.hasSuffix("nothing changed\n") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        #expect(try cli.ok("ls", "--json") == before)
        #expect(try context(cli, "laptop")["schema"] as? Int == 1)
    }
}
