import Foundation
import Testing

/// `tandem compact` as a person runs it: what it says, what a vault of an
/// older format does, and compactions killed with kill -9 half-way.
@Suite struct CompactCLITests {
    /// laptop writes five entries over six syncs and edits one; phone reads it all.
    private func history(_ cli: CLI) throws {
        try cli.setUp(devices: ["laptop", "phone"])
        for index in 1...5 { try cli.ok("put", "--device", "laptop", "notes", "k\(index)", "{\"v\":\(index)}", "--sync") }
        try cli.ok("put", "--device", "laptop", "notes", "k1", "{\"v\":10}", "--sync")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
    }

    private func listing(_ cli: CLI) throws -> String {
        try cli.ok("ls", "--device", "phone") + cli.ok("ls", "--device", "laptop")
    }

    private func logFiles(_ cli: CLI) throws -> [String] {
        let log = cli.vault.appendingPathComponent("log")
        return try FileManager.default.contentsOfDirectory(atPath: log.path).flatMap { device in
            try FileManager.default.contentsOfDirectory(atPath: log.appendingPathComponent(device).path).map { "\(device)/\($0)" }
        }.sorted()
    }

    @Test func compactSaysWhatItDoesAndANewDeviceRestoresFromIt() throws {
        let cli = CLI()
        try history(cli)
        let dry = try cli.ok("compact", "--device", "laptop", "--dry-run")
        #expect(dry.contains("would fold 6 segments into checkpoint 6: 5 versions in 1 file"))
        #expect(dry.contains("would keep 6 covered files until"))
        let json = try #require(try cli.json("compact", "--device", "laptop", "--grace", "0") as? [String: Any])
        #expect(json["checkpoint"] as? Int == 6)
        #expect((json["removed"] as? [String])?.count == 6)
        #expect(json["dryRun"] as? Bool == false)
        #expect(try logFiles(cli).filter { $0.hasSuffix(".ckp") }.count == 1)
        #expect(try cli.ok("compact", "--device", "laptop").contains("already covers every segment"))

        try cli.ok("device", "create", "tablet", "--vault", cli.vault.path, "--remember-key")
        let sync = try #require(try cli.json("sync", "--device", "tablet", "--policy", "accept") as? [String: Any])
        #expect(sync["checkpointsPulled"] as? Int == 1)
        #expect(sync["segmentsPulled"] as? Int == 0)
        #expect(try cli.ok("ls", "--device", "tablet") == cli.ok("ls", "--device", "phone"))
        #expect(try cli.run(["check", "--device", "tablet"]).status == 0)
    }

    /// A deletion every device has leaves the checkpoints; the phone's store,
    /// put back with `cp -a` from a copy made while the entry was live,
    /// reads the vault again and ends with the entry deleted too.
    @Test func aDeletionLeavesTheCheckpointsAndAStoreFromBeforeItStillDeletesTheEntry() throws {
        let cli = CLI()
        try history(cli)
        let phone = cli.home.appendingPathComponent("devices/phone")
        let backup = cli.root.appendingPathComponent("phone-backup")
        #expect(try cli.runScript("cp -a '\(phone.path)' '\(backup.path)'").status == 0)
        try cli.ok("rm", "--device", "laptop", "notes", "k2", "--sync")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        var collected = 0
        for round in 1...3 {
            try cli.ok("put", "--device", "laptop", "notes", "r\(round)", "1", "--sync")
            try cli.ok("sync", "--device", "phone", "--policy", "accept")
            let json = try #require(try cli.json("compact", "--device", "laptop", "--grace", "0", "--tombstone-grace", "0") as? [String: Any])
            collected += json["tombstonesCollected"] as? Int ?? 0
        }
        #expect(collected == 1)
        try cli.ok("device", "create", "tablet", "--vault", cli.vault.path, "--remember-key")
        try cli.ok("sync", "--device", "tablet", "--policy", "accept")
        #expect(try !cli.ok("ls", "--device", "tablet").contains("k2"))

        #expect(try cli.runScript("rm -rf '\(phone.path)' && cp -a '\(backup.path)' '\(phone.path)'").status == 0)
        #expect(try cli.ok("get", "--device", "phone", "notes", "k2").contains("\"v\": 2"))
        let sync = try cli.run(["sync", "--device", "phone", "--policy", "review"])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("read what the whole vault holds") && sync.stderr.contains("notes/k2"), "\(sync.stderr)")
        #expect(try cli.ok("ls", "--device", "phone", "--state", "incoming").contains("k2"))
        try cli.ok("accept", "--device", "phone", "--all", "--context", "notes")
        #expect(try cli.run(["get", "--device", "phone", "notes", "k2"]).status != 0)
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        // The phone lists the entry as deleted, as every device that had the deletion does; what is live is the same.
        let phoneList = try cli.ok("ls", "--device", "phone"), tabletList = try cli.ok("ls", "--device", "tablet")
        #expect(phoneList.contains("notes/k2  in-sync   (deleted)"))
        #expect(phoneList.split(separator: "\n").filter { !$0.contains("(deleted)") } == tabletList.split(separator: "\n"),
                "phone:\n\(phoneList)tablet:\n\(tabletList)")
    }

    private var fixture: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TandemCoreTests/Fixtures/vault-format-1")
    }

    /// A vault made before checkpoints is compacted only when asked to
    /// upgrade; until then nothing is written, and syncs never compact it.
    @Test func anOlderVaultIsUpgradedOnlyWhenAsked() throws {
        let cli = CLI()
        try FileManager.default.copyItem(at: fixture, to: cli.vault)
        try cli.ok("device", "create", "desk", "--vault", cli.vault.path, "--owner", "alice@example.com", "--encryption", "none")
        try cli.ok("sync", "--policy", "accept")
        try cli.ok("put", "friends", "carol", "{\"age\":5}", "--sync")
        let before = cli.files().filter { $0.key.hasPrefix(cli.vault.path) }
        let entries = try cli.ok("ls")
        let refused = try cli.run(["compact"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("vault format 1 holds no checkpoints or retired devices") && refused.stderr.contains("tandem compact --upgrade"))
        #expect(refused.stderr.contains("nothing was changed"))
        #expect(cli.files().filter { $0.key.hasPrefix(cli.vault.path) } == before)
        #expect(try cli.ok("ls") == entries)

        let upgraded = try cli.ok("compact", "--upgrade", "--grace", "0")
        #expect(upgraded.contains("upgraded the vault to format 5"))
        let descriptor = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: cli.vault.appendingPathComponent("vault.json"))) as? [String: Any])
        #expect(descriptor["format"] as? Int == 5)
        // The fixture's own devices' logs still read, beside this device's checkpoint.
        try cli.ok("device", "create", "late", "--vault", cli.vault.path, "--owner", "alice@example.com", "--encryption", "none")
        try cli.ok("sync", "--device", "late", "--policy", "accept")
        #expect(try cli.ok("get", "--device", "late", "friends", "carol").contains("\"age\": 5"))
        #expect(try cli.ok("get", "--device", "late", "friends", "alice") == cli.ok("get", "--device", "desk", "friends", "alice"))
    }

    /// What a build that knows an older format does with a newer vault,
    /// shown with this build and a vault of the format after its own: it is
    /// refused with a message that says to upgrade, and nothing is written.
    @Test func aVaultOfANewerFormatIsRefusedAndNothingIsWritten() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "notes", "k", "1", "--sync")
        let descriptorURL = cli.vault.appendingPathComponent("vault.json")
        let text = try String(contentsOf: descriptorURL, encoding: .utf8)
        try text.replacingOccurrences(of: "\"format\" : 5", with: "\"format\" : 6").write(to: descriptorURL, atomically: true, encoding: .utf8)
        let before = cli.files()
        for arguments in [["sync"], ["put", "notes", "k", "2", "--sync"], ["compact", "--grace", "0"]] {
            let result = try cli.run(arguments)
            #expect(result.status != 0, "tandem \(arguments.joined(separator: " "))")
            #expect(result.stderr.contains("vault format 6 is newer than this tandem understands (format 5); upgrade tandem"), "\(result.stderr)")
        }
        let after = cli.files()
        // put --sync wrote its entry to the store before the sync was refused; the vault is untouched.
        #expect(after.filter { $0.key.hasPrefix(cli.vault.path) } == before.filter { $0.key.hasPrefix(cli.vault.path) })
    }

    /// kill -9 after the checkpoint is placed but before the store records
    /// it, and half-way through removing what it covers: the next run
    /// finishes, and every device, a new one too, holds the same data.
    @Test(arguments: ["checkpoint-placed", "compaction-remove"])
    func aKilledCompactionIsFinishedByTheNextRun(step: String) throws {
        let cli = CLI()
        try history(cli)
        let expected = try listing(cli)
        try KilledProcess.run(cli, ["compact", "--device", "laptop", "--grace", "0"], pausingAt: step)
        // Readers meanwhile see a log that still reads.
        try cli.ok("device", "create", "early", "--vault", cli.vault.path, "--remember-key")
        try cli.ok("sync", "--device", "early", "--policy", "accept")
        #expect(try cli.ok("ls", "--device", "early") == cli.ok("ls", "--device", "phone"))

        try cli.ok("compact", "--device", "laptop", "--grace", "0")
        #expect(try logFiles(cli).filter { $0.hasSuffix(".seg") }.isEmpty)
        #expect(try logFiles(cli).filter { $0.hasSuffix(".ckp") }.count == 1)
        try cli.ok("put", "--device", "laptop", "notes", "after", "1", "--sync")
        try cli.ok("device", "create", "late", "--vault", cli.vault.path, "--remember-key")
        for device in ["phone", "early", "late"] { try cli.ok("sync", "--device", device, "--policy", "accept") }
        #expect(try cli.ok("ls", "--device", "late") == cli.ok("ls", "--device", "phone"))
        #expect(try cli.ok("ls", "--device", "early") == cli.ok("ls", "--device", "phone"))
        #expect(try listing(cli) != expected, "the write after the compaction arrived")
        #expect(try cli.ok("conflicts", "--device", "late").contains("no conflicts"))
    }
}
