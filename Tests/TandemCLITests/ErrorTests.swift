import Foundation
import Testing

/// Bad input gets one clear line on stderr, a non-zero exit, and changes nothing.
@Suite struct ErrorTests {
    @Test func badInputIsRefusedAndChangesNothing() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "c", "k", "1")
        let before = try cli.ok("ls", "--json")
        let cases: [([String], Int32, String)] = [
            (["put", "c", "k", "{oops"], 1, "not valid JSON"),
            (["put", "c", "bad\u{1b}]0;pwned\u{07}key", "1"], 1, "control character"),
            (["put", "Bad Context", "k", "1"], 1, "invalid context name"),
            (["put", "c", "k"], 2, "exactly one"),
            (["get", "c", "missing"], 1, "no entry c/missing"),
            (["rm", "c", "missing"], 1, "no entry"),
            (["accept", "0000000000"], 1, "no incoming change"),
            (["accept"], 2, "--all"),
            (["resolve", "c", "k", "--keep", "local"], 1, "not in conflict"),
            (["sync", "--policy", "handlers"], 2, "handlers"),
            // A global option may come before the command, and means the same there.
            (["--device", "nobody", "ls"], 1, "no device named 'nobody'"),
            (["--colour", "ls"], 2, "Unknown option '--colour'"),
            (["ls", "--device", "nobody"], 1, "no device named 'nobody'"),
            (["frobnicate"], 2, "Unexpected argument"),
        ]
        for (arguments, status, message) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("\u{1b}"), "raw escape on stderr for \(arguments)")
        }
        #expect(try cli.ok("ls", "--json") == before)
    }

    @Test func aMissingVaultOrDeviceIsExplained() throws {
        let cli = CLI()
        let missing = try cli.run(["device", "create", "laptop", "--vault", cli.root.appendingPathComponent("nowhere").path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no vault at"))
        let none = try cli.run(["status"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("no device in"))
        try cli.setUp(devices: ["a", "b"])
        let twice = try cli.run(["init", "--vault", cli.vault.path, "--owner", "x"])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("already holds a vault"))
    }

    @Test func aCorruptSegmentIsNamedAndTheOtherDevicesStillSync() throws {
        let cli = CLI()
        try cli.setUp(devices: ["bad", "good", "reader"])
        try cli.ok("put", "c", "from-bad", "1", "--device", "bad", "--sync")
        try cli.ok("put", "c", "from-good", "2", "--device", "good", "--sync")
        let log = cli.vault.appendingPathComponent("log")
        let badID = try #require((try cli.json("status", "--device", "bad") as? JSONObject)?["id"] as? String)
        let segment = log.appendingPathComponent(badID).appendingPathComponent("000000000001.seg")
        var bytes = try Data(contentsOf: segment)
        bytes[bytes.count - 40] ^= 0xFF
        try bytes.write(to: segment)
        let sync = try cli.run(["sync", "--device", "reader", "--policy", "accept"])
        #expect(sync.status == 1)
        #expect(sync.stderr.contains(segment.path))
        #expect(sync.stderr.split(separator: "\n").count == 1)
        #expect(try cli.ok("get", "c", "from-good", "--device", "reader", "--compact") == "2\n")
        #expect(try cli.run(["get", "c", "from-bad", "--device", "reader"]).status == 1)
    }

    @Test func theUIWithoutATerminalSaysSoInOneLineAndWritesNoEscapeCodes() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a"])
        for command in [["tui"], ["demo", "--dir", cli.root.appendingPathComponent("demo").path]] {
            let result = try cli.run(command)
            #expect(result.status == 2, "\(command)")
            #expect(result.stdout.isEmpty, "no escape codes on stdout: \(result.stdout.debugDescription)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("needs a terminal"), "\(result.stderr)")
        }
    }

    @Test func garbageInVaultJSONIsNamed() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a"])
        try Data("garbage".utf8).write(to: cli.vault.appendingPathComponent("vault.json"))
        let sync = try cli.run(["sync"])
        #expect(sync.status == 1)
        #expect(sync.stderr.contains(cli.vault.appendingPathComponent("vault.json").path))
        #expect(sync.stderr.contains("not a valid vault file"))
    }
}

/// A disk that fills (here, a file-size limit that a segment exceeds) gives an
/// error naming the file and loses nothing; the next sync with room pushes.
@Suite struct FullDiskTests {
    @Test func aSegmentThatDoesNotFitIsReportedAndTheChangeWaits() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        let big = "\"" + String(repeating: "x", count: 200_000) + "\""
        try cli.ok("put", "notes", "big", "-", "--device", "laptop", stdin: big)
        let limited = try cli.spawnShell("""
            ulimit -f 100
            "$TANDEM" sync --device laptop 2> "\(cli.root.path)/stderr"
            """)
        limited.waitUntilExit()
        #expect(limited.terminationStatus == 1)
        let stderr = try String(contentsOfFile: cli.root.appendingPathComponent("stderr").path, encoding: .utf8)
        #expect(stderr.contains(cli.vault.appendingPathComponent("log").path))
        #expect(stderr.contains("File too large"))
        let status = try #require(try cli.json("status", "--device", "laptop") as? JSONObject)
        #expect((status["counts"] as? JSONObject)?["waitingToPush"] as? Int == 1)
        #expect(status["pushedSeq"] as? Int == 0)
        let logFolder = cli.vault.appendingPathComponent("log")
        let leftovers = (FileManager.default.enumerator(atPath: logFolder.path)?.allObjects as? [String] ?? []).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        try cli.ok("sync", "--device", "laptop")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        #expect(try cli.ok("get", "notes", "big", "--device", "phone", "--compact") == big + "\n")
    }
}

@Suite struct UnwritableVaultTests {
    /// The vault's devices folder is replaced by a file, so registering fails
    /// (for root too, which ignores permissions).
    @Test func aDeviceThatCannotRegisterLeavesNothingBehind() throws {
        let cli = CLI()
        try cli.ok("init", "--vault", cli.vault.path, "--owner", "alice")
        let devices = cli.vault.appendingPathComponent("devices")
        try FileManager.default.removeItem(at: devices)
        try Data("not a folder".utf8).write(to: devices)
        let result = try cli.run(["device", "create", "laptop", "--vault", cli.vault.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains(devices.path), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.home.appendingPathComponent("devices/laptop").path))
        #expect(try cli.run(["device", "list"]).stdout.contains("no devices"))
    }
}
