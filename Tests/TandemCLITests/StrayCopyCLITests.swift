import Foundation
import Testing

/// Copies a synced folder set aside in the vault are named by status, sync
/// and check, with what to do; sync and check exit 1 until they are gone.
@Suite struct StrayCopyCLITests {
    @Test func aConflictCopyIsNamedUntilItIsRemoved() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "notes", "k", "1", "--sync")
        let descriptorCopy = cli.vault.appendingPathComponent("vault.sync-conflict-20261201-101500-ABCDEFG.json")
        try FileManager.default.copyItem(at: cli.vault.appendingPathComponent("vault.json"), to: descriptorCopy)
        let devices = cli.vault.appendingPathComponent("devices")
        let record = try #require(try FileManager.default.contentsOfDirectory(atPath: devices.path).first)
        let recordCopy = devices.appendingPathComponent(record.replacingOccurrences(of: ".json", with: " (conflicted copy 2026-12-01).json"))
        try FileManager.default.copyItem(at: devices.appendingPathComponent(record), to: recordCopy)

        let sync = try cli.run(["sync"])
        #expect(sync.status == 1, "\(sync.stdout)")
        for path in [descriptorCopy.path, recordCopy.path] { #expect(sync.stderr.contains(path), "\(sync.stderr)") }
        #expect(sync.stderr.contains("remove this file"))
        let status = try cli.ok("status")
        #expect(status.contains("vault    ⚠ \(descriptorCopy.path): a second vault descriptor"), "\(status)")
        let json = try #require(try cli.json("status") as? JSONObject)
        #expect((json["strayCopies"] as? [JSONObject])?.compactMap { $0["path"] as? String } == [descriptorCopy.path, recordCopy.path].sorted())
        let check = try cli.run(["check"])
        #expect(check.status == 1 && check.stdout.contains(recordCopy.path), "\(check.stdout)")

        try FileManager.default.removeItem(at: descriptorCopy)
        try FileManager.default.removeItem(at: recordCopy)
        #expect(try cli.run(["sync"]).status == 0)
        #expect(try cli.run(["check"]).status == 0)
    }

    /// The passphrase changed from the command line on a vault copied to a
    /// second folder and changed there too: after both copies are merged, both work.
    @Test func passphraseChangesOnTwoCopiesOfTheVaultBothWork() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let other = cli.root.appendingPathComponent("vault-copy")
        try FileManager.default.copyItem(at: cli.vault, to: other)
        let old = try #require(cli.passphrase)
        for (vault, new) in [(cli.vault, "laptop's new passphrase"), (other, "phone's new passphrase")] {
            let changed = try cli.run(["passphrase", "change", "--vault", vault.path, "--scrypt-log-n", "10"],
                                      environment: ["TANDEM_PASSPHRASE": old, "TANDEM_NEW_PASSPHRASE": new])
            #expect(changed.status == 0 && changed.stderr.isEmpty, "\(changed.stderr)")
        }
        // Merge as a synced folder does: new key files arrive, removed ones go.
        let keys = other.appendingPathComponent("keys")
        for name in try FileManager.default.contentsOfDirectory(atPath: keys.path) {
            let target = cli.vault.appendingPathComponent("keys").appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: target.path) { try FileManager.default.copyItem(at: keys.appendingPathComponent(name), to: target) }
        }
        for new in ["laptop's new passphrase", "phone's new passphrase"] {
            let created = try cli.run(["device", "create", "joined-\(new.prefix(5))", "--vault", cli.vault.path], environment: ["TANDEM_PASSPHRASE": new])
            #expect(created.status == 0, "\(new): \(created.stderr)")
        }
        #expect(try cli.run(["device", "create", "refused", "--vault", cli.vault.path], environment: ["TANDEM_PASSPHRASE": old]).status != 0)
    }
}
