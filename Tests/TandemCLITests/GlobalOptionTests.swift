import Foundation
import Testing

/// Options where people type them, `--version`, and `--sync` on every
/// command that changes this device.
@Suite struct GlobalOptionTests {
    /// `tandem --home H --device D sync` does what `tandem sync --home H --device D` does.
    @Test func globalOptionsWorkBeforeOrAfterTheCommand() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        let elsewhere = ["TANDEM_HOME": cli.root.appendingPathComponent("no-such-home").path]
        let before = try cli.run(["--home", cli.home.path, "--device", "laptop", "put", "friends", "alice", #"{"age":30}"#, "--sync"],
                                 environment: elsewhere)
        #expect(before.status == 0, "\(before.stderr)")
        let after = try cli.run(["sync", "--home", cli.home.path, "--device", "phone", "--policy", "accept"], environment: elsewhere)
        let first = try cli.run(["--home=\(cli.home.path)", "--device", "phone", "get", "friends", "alice", "--compact"], environment: elsewhere)
        #expect(after.status == 0 && first.stdout == #"{"age":30}"# + "\n", "\(after.stderr) \(first.stderr)")
        let verbose = try cli.run(["--verbose", "--home", cli.home.path, "--device", "phone", "sync"], environment: elsewhere)
        #expect(verbose.status == 0, "\(verbose.stderr)")
        // After `--`, an argument is the command's own, even one that looks like a global option.
        let dashes = try cli.run(["--home", cli.home.path, "--device", "laptop", "put", "notes", "--", "--device", #""x""#], environment: elsewhere)
        #expect(dashes.status == 0, "\(dashes.stderr)")
        #expect(try cli.ok("get", "notes", "--compact", "--device", "laptop", "--", "--device") == #""x""# + "\n")
        let help = try cli.run(["sync", "--help"])
        let described = help.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--home") }
        #expect(described.count == 1, "the help describes --home once: \(help.stdout)")
    }

    @Test func versionIsPrinted() throws {
        let cli = CLI()
        let version = try cli.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("tandem ") && version.stdout.contains("vault format"), "\(version.stdout)")
        try cli.setUp(devices: ["laptop"])
        let status = try #require(try cli.json("status") as? JSONObject)
        #expect(version.stdout.contains(try #require(status["tandem"] as? String)))
    }

    /// accept, refuse, keep-mine, resolve, undo, wipe and migrate publish at once with --sync.
    @Test func everyCommandThatChangesTheDeviceTakesSync() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        func pushedSeq(_ device: String) throws -> Int { try #require((try cli.json("status", "--device", device) as? JSONObject)?["pushedSeq"] as? Int) }
        for key in ["a", "b", "c"] { try cli.ok("put", "friends", key, #"{"n":1}"#, "--device", "laptop", "--sync") }
        try cli.ok("sync", "--device", "phone")
        func changeID(_ key: String) throws -> String {
            let rows = try #require(try cli.json("incoming", "--device", "phone") as? [JSONObject])
            return try #require(rows.first { $0["key"] as? String == key }?["id"] as? String)
        }
        var seq = try pushedSeq("phone")
        func published(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let now = try pushedSeq("phone")
            #expect(now > seq, "\(what) --sync published nothing", sourceLocation: sourceLocation)
            seq = now
        }
        try cli.ok("accept", try changeID("a"), "--device", "phone", "--sync")
        #expect((try cli.json("status", "--device", "phone") as? JSONObject)?["lastSync"] is String)
        let refused = try changeID("b")
        try cli.ok("refuse", refused, "--device", "phone")
        try cli.ok("undo", "--device", "phone", "--sync")
        try cli.ok("refuse", refused, "--device", "phone", "--sync")
        try cli.ok("keep-mine", try changeID("c"), "--device", "phone", "--sync")
        try published("keep-mine")
        try cli.ok("put", "friends", "a", #"{"n":2}"#, "--device", "laptop", "--sync")
        try cli.ok("put", "friends", "a", #"{"n":3}"#, "--device", "phone")
        try cli.ok("sync", "--device", "phone")
        let resolved = try cli.ok("resolve", "friends", "a", "--keep", "local", "--device", "phone", "--sync")
        #expect(!resolved.contains("waits to be pushed"), "\(resolved)")
        try published("resolve")
        try cli.ok("wipe", "friends", "--device", "phone", "--sync")
        let migrations = cli.root.appendingPathComponent("friends.migrations.json")
        try Data(#"{"context": "friends", "migrations": [{"from": 1, "to": 2, "operations": [{"op": "default", "path": "/tags", "value": []}]}]}"#.utf8)
            .write(to: migrations)
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        try cli.ok("migrate", migrations.path, "--device", "phone", "--sync")
        try published("migrate")
        #expect(try cli.run(["migrate", migrations.path, "--dry-run", "--sync", "--device", "phone"]).status == 2)
    }
}
