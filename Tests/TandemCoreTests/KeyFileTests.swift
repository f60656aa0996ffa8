import Foundation
import Testing
@testable import TandemCore

/// Passphrases in key files of their own (format 5): two replicas of a
/// synced vault that change the passphrase at once both keep working, and a
/// copy the folder set aside is named.
@Suite struct KeyFileTests {
    private let cheap = ScryptParameters(logN: 10)

    private func opens(_ vault: Vault, _ passphrase: String) -> Bool {
        guard let descriptor = try? vault.readDescriptor() else { return false }
        return (try? vault.unlocked(descriptor, with: .passphrase(passphrase)).key) != nil
    }

    @Test func aNewVaultKeepsItsPassphraseInAKeyFileAndVaultJSONHoldsNoWrapping() throws {
        let world = try TestWorld(encrypted: true)
        let descriptor = try world.vault.readDescriptor()
        #expect(descriptor.format == VaultFormat.version && descriptor.encryption == nil && descriptor.keyCheck != nil)
        let files = world.vault.keyFiles()
        #expect(files.files.count == 1 && files.problems.isEmpty)
        let text = try String(contentsOf: world.vault.descriptorURL, encoding: .utf8)
        #expect(!text.contains("wrappedKey") && !text.contains("salt"), "\(text)")
    }

    /// Two replicas change the passphrase while apart; once the folder has
    /// delivered both ways, each new passphrase opens the vault and the old
    /// one does not.
    @Test func twoPassphraseChangesOnTwoReplicasBothWork() throws {
        let world = try TestWorld(encrypted: true)
        let replica = world.folder.url.appendingPathComponent("replica")
        try FileManager.default.copyItem(at: world.vault.root, to: replica)
        let copy = LaggingCopy(world.vault.root, replica)
        try Vault(root: world.vault.root).changePassphrase(using: .passphrase(TestWorld.passphrase), to: "laptop's new one", parameters: cheap)
        try Vault(root: replica).changePassphrase(using: .passphrase(TestWorld.passphrase), to: "phone's new one", parameters: cheap)
        try copy.deliver(from: world.vault.root, to: replica)
        try copy.deliver(from: replica, to: world.vault.root)
        for root in [world.vault.root, replica] {
            let vault = Vault(root: root)
            #expect(opens(vault, "laptop's new one") && opens(vault, "phone's new one"), "\(root.path)")
            #expect(!opens(vault, TestWorld.passphrase))
            #expect(vault.keyFiles().files.count == 2 && vault.strayCopies().isEmpty)
        }
    }

    /// The same in a format-4 vault, whose vault.json holds the wrapping:
    /// one of the two passphrases stops working and the folder keeps the
    /// other version as a conflict copy, which is named; an upgrade moves
    /// the wrapping into a key file, and a rerun writes none twice.
    @Test func aFormatFourVaultLosesAPassphraseNamesTheConflictCopyAndUpgrades() throws {
        let world = try TestWorld(encrypted: true)
        try Self.makeFormatFour(world.vault)
        let replica = world.folder.url.appendingPathComponent("replica")
        try FileManager.default.copyItem(at: world.vault.root, to: replica)
        try Vault(root: world.vault.root).changePassphrase(using: .passphrase(TestWorld.passphrase), to: "laptop's new one", parameters: cheap)
        try Vault(root: replica).changePassphrase(using: .passphrase(TestWorld.passphrase), to: "phone's new one", parameters: cheap)
        // What Syncthing does with two versions of one file: one wins, the other is set aside.
        let aside = world.vault.root.appendingPathComponent("vault.sync-conflict-20261201-101500-ABCDEFG.json")
        try FileManager.default.copyItem(at: replica.appendingPathComponent("vault.json"), to: aside)
        let vault = Vault(root: world.vault.root)
        #expect(opens(vault, "laptop's new one") && !opens(vault, "phone's new one"))
        let strays = vault.strayCopies()
        #expect(strays.map(\.path) == [aside.path])
        #expect(strays.first?.advice.contains("tandem compact --upgrade") == true)

        #expect(try vault.upgradeFormat())
        #expect(!(try vault.upgradeFormat()))
        let upgraded = try vault.readDescriptor()
        #expect(upgraded.format == VaultFormat.version && upgraded.encryption == nil)
        #expect(vault.keyFiles().files.count == 1 && opens(vault, "laptop's new one"))
        #expect(try vault.unlocked(upgraded, with: .recoveryPhrase(try #require(world.recoveryPhrase).joined(separator: " "))).key == world.vault.key)
    }

    /// An upgrade killed after it wrote the key file, then a passphrase
    /// change on the format-4 vault: the rerun upgrade must not bring the
    /// old passphrase back from that key file.
    @Test func aKilledUpgradeThenAPassphraseChangeDoesNotBringTheOldPassphraseBack() throws {
        let world = try TestWorld(encrypted: true)
        try Self.makeFormatFour(world.vault)
        let vault = Vault(root: world.vault.root)
        try vault.addKeyFile(try #require(try vault.readDescriptor().encryption))
        try vault.changePassphrase(using: .passphrase(TestWorld.passphrase), to: "after a leak", parameters: cheap)
        #expect(try vault.upgradeFormat())
        #expect(opens(vault, "after a leak") && !opens(vault, TestWorld.passphrase))
        #expect(vault.keyFiles().files.count == 1)
    }

    /// A damaged key file is named, and a passphrase another key file holds still opens.
    @Test func aDamagedKeyFileIsNamedAndTheOthersStillOpen() throws {
        let world = try TestWorld(encrypted: true)
        let vault = Vault(root: world.vault.root)
        let descriptor = try vault.readDescriptor()
        let original = try #require(vault.keyFiles().files.first)
        try vault.changePassphrase(using: .key(try #require(world.vault.key)), to: "a second one", parameters: cheap)
        #expect(vault.keyFiles().files.count == 2, "a change with a remembered key removed a key file")
        let url = vault.keyFileURL(original.id)
        try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"kdf\" : \"scrypt\"", with: "\"kdf\" : \"Scrypt\"")
            .write(to: url, atomically: true, encoding: .utf8)
        #expect(vault.keyFiles().problems.map(\.path) == [url.path])
        #expect(opens(vault, "a second one"))
        // The old passphrase's own file is the damaged one: it is named, not called a wrong passphrase.
        #expect {
            try vault.unlocked(descriptor, with: .passphrase(TestWorld.passphrase))
        } throws: { error in
            (error as? TandemError)?.description.contains(url.path) == true && (error as? TandemError)?.description.contains("recovery phrase") == true
        }
        try FileManager.default.removeItem(at: vault.keysURL)
        #expect {
            try vault.unlocked(descriptor, with: .passphrase("a second one"))
        } throws: { error in
            (error as? TandemError)?.description.contains("no key file opens") == true
        }
    }

    /// A key file planted beside the real one, wrapping a key of the
    /// planter's choosing under a passphrase they know, does not open the vault.
    @Test func aPlantedKeyFileForAnotherKeyIsRefused() throws {
        let world = try TestWorld(encrypted: true)
        let vault = Vault(root: world.vault.root)
        let descriptor = try vault.readDescriptor()
        try vault.addKeyFile(key: VaultKey.random(), passphrase: "mallory", parameters: cheap, descriptor: descriptor)
        #expect(throws: TandemError.self) { try vault.unlocked(descriptor, with: .passphrase("mallory")) }
        #expect(opens(vault, TestWorld.passphrase))
    }

    /// Turns a new vault into one of format 4: the key file's wrapping back in vault.json.
    static func makeFormatFour(_ vault: Vault) throws {
        var descriptor = try vault.readDescriptor()
        let file = try #require(vault.keyFiles().files.first)
        descriptor.format = 4
        descriptor.encryption = file.encryption
        descriptor.keyCheck = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(descriptor.sealedWithChecksum).write(to: vault.descriptorURL)
        try FileManager.default.removeItem(at: vault.keysURL)
    }
}
