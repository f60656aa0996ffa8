import Foundation
import Testing

/// Encrypted vaults through the binary: the recovery phrase, joining with
/// either credential, wrong ones refused with nothing changed, a passphrase
/// change, lock and unlock, and logs that never show a secret.
@Suite struct KeyCLITests {
    /// A vault made with `init --json`, its recovery phrase, and the device
    /// `laptop` that does not remember the key.
    private func encryptedVault(_ cli: CLI) throws -> String {
        let created = try #require(try cli.json("init", "--vault", cli.vault.path, "--owner", "alice", "--scrypt-log-n", "10") as? JSONObject)
        #expect(created["encryption"] as? String == "aes-256-gcm")
        let phrase = try #require(created["recoveryPhrase"] as? String)
        #expect(phrase.split(separator: " ").count == 24)
        try cli.ok("device", "create", "laptop", "--vault", cli.vault.path)
        return phrase
    }

    private func write(_ cli: CLI, _ name: String, _ text: String) throws -> String {
        let path = cli.root.appendingPathComponent(name).path
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func initPrintsTheRecoveryPhraseOnceAndStoresItNowhere() throws {
        let cli = CLI()
        let out = try cli.ok("init", "--vault", cli.vault.path, "--owner", "alice", "--scrypt-log-n", "10")
        #expect(out.contains("encrypted with AES-256-GCM"))
        #expect(out.contains("Recovery phrase"))
        let words = out.split(separator: "\n").filter { $0.hasPrefix("   1.") || $0.hasPrefix("  13.") }
        #expect(words.count == 2, "\(out)")
        let vaultJSON = try String(contentsOf: cli.vault.appendingPathComponent("vault.json"), encoding: .utf8)
        let firstWord = try #require(words.first?.split(separator: " ").dropFirst().first)
        #expect(!vaultJSON.contains(" \(firstWord) "))
        #expect(!vaultJSON.contains(cli.passphrase ?? "?"))
    }

    @Test func aFreshDeviceJoinsWithThePassphraseOrThePhraseAndWrongOnesChangeNothing() throws {
        let cli = CLI()
        let phrase = try encryptedVault(cli)
        try cli.ok("put", "friends", "alice", #"{"age":30}"#, "--device", "laptop", "--sync")

        cli.passphrase = nil
        let wrong = try cli.run(["device", "create", "phone", "--vault", cli.vault.path, "--passphrase-file", try write(cli, "wrong", "not it")])
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "tandem: error: \(cli.vault.appendingPathComponent("vault.json").path): wrong passphrase; nothing changed\n")
        var words = phrase.split(separator: " ").map(String.init)
        words.swapAt(3, 9)
        let badPhrase = try cli.run(["device", "create", "phone", "--vault", cli.vault.path, "--recovery-phrase-file",
                                     try write(cli, "bad-phrase", words.joined(separator: " "))])
        #expect(badPhrase.status == 1)
        #expect(badPhrase.stderr.contains("wrong recovery phrase"), "\(badPhrase.stderr)")
        #expect(badPhrase.stderr.split(separator: "\n").count == 1)
        let noSource = try cli.run(["device", "create", "phone", "--vault", cli.vault.path])
        #expect(noSource.status == 1)
        #expect(noSource.stderr.contains("--passphrase-file"))
        #expect(!FileManager.default.fileExists(atPath: cli.home.appendingPathComponent("devices/phone").path))
        #expect((try cli.json("device", "list") as? [Any])?.count == 1)

        try cli.ok("device", "create", "phone", "--vault", cli.vault.path, "--recovery-phrase-file", try write(cli, "phrase", phrase), "--remember-key")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        #expect(try cli.ok("get", "friends", "alice", "--device", "phone", "--compact") == #"{"age":30}"# + "\n")
        try cli.ok("device", "create", "tablet", "--vault", cli.vault.path, "--passphrase-file", try write(cli, "right", "correct horse battery staple"))
        let locked = try cli.run(["sync", "--device", "tablet"])
        #expect(locked.status == 1)
        #expect(locked.stderr.contains("no terminal to ask for its passphrase"))
        try cli.ok("sync", "--device", "tablet", "--policy", "accept", "--passphrase-file", try write(cli, "right2", "correct horse battery staple"))
        #expect(try cli.ok("get", "friends", "alice", "--device", "tablet", "--compact") == #"{"age":30}"# + "\n")
    }

    @Test func joiningAsAnotherOwnerIsRefused() throws {
        let cli = CLI()
        _ = try encryptedVault(cli)
        let other = try cli.run(["device", "create", "phone", "--vault", cli.vault.path, "--owner", "bob"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("belongs to 'alice', not 'bob'"))
        try cli.ok("device", "create", "phone", "--vault", cli.vault.path, "--owner", "alice")
    }

    @Test func aPassphraseChangeKeepsEveryDeviceWorking() throws {
        let cli = CLI()
        let phrase = try encryptedVault(cli)
        try cli.ok("device", "create", "phone", "--vault", cli.vault.path, "--remember-key")
        try cli.ok("put", "c", "k", "1", "--device", "laptop", "--sync")
        let wrongCurrent = try cli.run(["passphrase", "change", "--passphrase-file", try write(cli, "no", "nope")],
                                       environment: ["TANDEM_NEW_PASSPHRASE": "second passphrase"])
        #expect(wrongCurrent.status == 1)
        #expect(wrongCurrent.stderr.contains("wrong passphrase"))
        let change = try cli.run(["passphrase", "change", "--scrypt-log-n", "10"], environment: ["TANDEM_NEW_PASSPHRASE": "second passphrase"])
        #expect(change.status == 0, "\(change.stderr)")
        #expect(change.stdout.contains("every device still work"))
        // The old passphrase no longer opens it; the new one and the phrase do.
        let old = try cli.run(["sync", "--device", "laptop"])
        #expect(old.status == 1)
        #expect(old.stderr.contains("wrong passphrase"))
        try cli.ok("put", "c", "k", "2", "--device", "laptop")
        let second = try cli.run(["sync", "--device", "laptop"], environment: ["TANDEM_PASSPHRASE": "second passphrase"])
        #expect(second.status == 0, "\(second.stderr)")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        #expect(try cli.ok("get", "c", "k", "--device", "phone", "--compact") == "2\n")
        try cli.ok("passphrase", "change", "--scrypt-log-n", "10", "--recovery-phrase-file", try write(cli, "phrase", phrase),
                   "--new-passphrase-file", try write(cli, "third", "third passphrase"))
        try cli.ok("sync", "--device", "laptop", "--passphrase-file", try write(cli, "third2", "third passphrase"))
    }

    @Test func unlockRemembersTheKeyAndLockForgetsIt() throws {
        let cli = CLI()
        _ = try encryptedVault(cli)
        cli.passphrase = nil
        #expect(try cli.run(["sync"]).status == 1)
        try cli.ok("unlock", "--passphrase-file", try write(cli, "right", "correct horse battery staple"))
        try cli.ok("sync")
        #expect(try cli.ok("lock").contains("no longer remembers"))
        #expect(try cli.run(["sync"]).status == 1)
        #expect(try cli.ok("lock").contains("did not remember"))
    }

    @Test func verboseLogsShowNoValueAndNoSecret() throws {
        let cli = CLI()
        let phrase = try encryptedVault(cli)
        try cli.ok("device", "create", "phone", "--vault", cli.vault.path)
        let value = #"{"secret":"value-9d41"}"#
        try cli.ok("put", "notes", "n1", value, "--device", "laptop")
        let push = try cli.run(["sync", "--device", "laptop", "--verbose"])
        let pull = try cli.run(["sync", "--device", "phone", "--policy", "accept", "--verbose"])
        #expect(push.status == 0 && pull.status == 0)
        #expect(pull.stderr.contains("applied segment"), "verbose logging is on: \(pull.stderr)")
        let logs = push.stderr + pull.stderr + (try cli.ok("log", "--device", "phone")) + (try cli.ok("log", "--device", "laptop"))
        let phraseWords = phrase.split(separator: " ").prefix(3).map { " \($0) " }
        for secret in ["value-9d41", "correct horse battery staple"] + phraseWords {
            #expect(!logs.contains(secret), "a log shows '\(secret)'")
        }
    }

    @Test func aWriteWithSyncAndAWrongPassphraseWritesNothing() throws {
        let cli = CLI()
        _ = try encryptedVault(cli)
        let put = try cli.run(["put", "friends", "bob", #"{"a":1}"#, "--sync"], environment: ["TANDEM_PASSPHRASE": "wrong"])
        #expect(put.status == 1)
        #expect(put.stderr.contains("wrong passphrase; nothing changed"))
        #expect(try cli.run(["get", "friends", "bob"]).status == 1)
        let status = try #require(try cli.json("status") as? JSONObject)
        #expect((status["counts"] as? JSONObject)?["waitingToPush"] as? Int == 0)
    }

    @Test func aPlainVaultIsJoinedOnlyWhenSaidSo() throws {
        let cli = CLI()
        try cli.ok("init", "--vault", cli.vault.path, "--owner", "alice", "--encryption", "none")
        let refused = try cli.run(["device", "create", "laptop", "--vault", cli.vault.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is NOT encrypted"))
        try cli.ok("device", "create", "laptop", "--vault", cli.vault.path, "--encryption", "none")
        try cli.ok("put", "c", "k", "1", "--sync")
    }
}
