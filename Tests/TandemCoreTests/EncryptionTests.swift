import Foundation
import Testing
@testable import TandemCore

/// Encrypted vaults on real folders: what the files reveal, which
/// credentials open them, and what a passphrase change keeps working.
@Suite struct EncryptionTests {
    /// Every byte of every file under `root`.
    private func vaultBytes(_ root: URL) throws -> [(path: String, bytes: Data)] {
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]))
        return try enumerator.compactMap { item -> (String, Data)? in
            guard let url = item as? URL, try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { return nil }
            return (url.path, try Data(contentsOf: url))
        }
    }

    @Test func valuesTravelButNoFileOfTheVaultShowsThem() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"], encrypted: true)
        let secret = #"{"diagnosis":"confidential-7f3a"}"#
        try world.put("laptop", "medical-notes", "patient-0042", secret)
        try await world.sync("laptop")
        try await world.sync("phone", .accept)
        #expect(try world.value("phone", "medical-notes", "patient-0042") == secret)

        let files = try vaultBytes(world.vault.root)
        #expect(files.count >= 4)
        for needle in ["confidential-7f3a", "patient-0042", "medical-notes", "laptop", "phone", TestWorld.passphrase] {
            for file in files {
                #expect(file.bytes.range(of: Data(needle.utf8)) == nil, "\(file.path) shows '\(needle)'")
            }
        }
        // The key itself is nowhere in the vault either, in any encoding we write.
        let key = try #require(world.vault.key)
        for file in files {
            #expect(file.bytes.range(of: Data(key.bytes)) == nil)
            #expect(file.bytes.range(of: Data(Digest.hex(key.bytes).utf8)) == nil)
            #expect(file.bytes.range(of: Data(Data(key.bytes).base64EncodedString().utf8)) == nil)
        }
    }

    @Test func eachCredentialOpensItsVaultAndNoOther() throws {
        let world = try TestWorld(encrypted: true)
        let other = try TestWorld(encrypted: true)
        let plain = Vault(root: world.vault.root)
        let descriptor = try plain.readDescriptor()
        let path = plain.descriptorURL.path
        let phrase = try #require(world.recoveryPhrase).joined(separator: " ")

        #expect(try plain.unlocked(descriptor, with: .passphrase(TestWorld.passphrase)).key == world.vault.key)
        #expect(try plain.unlocked(descriptor, with: .recoveryPhrase(phrase)).key == world.vault.key)
        #expect(throws: TandemError.wrongPassphrase(path: path)) { try plain.unlocked(descriptor, with: .passphrase("correct horse battery")) }
        #expect(throws: TandemError.vaultLocked(path: plain.root.path)) { try plain.unlocked(descriptor, with: nil) }
        let otherPhrase = try #require(other.recoveryPhrase).joined(separator: " ")
        #expect(throws: TandemError.wrongRecoveryPhrase(reason: "the phrase is well formed but opens another vault, not the one at \(plain.root.path)")) {
            try plain.unlocked(descriptor, with: .recoveryPhrase(otherPhrase))
        }
        #expect(throws: TandemError.vaultKeyMismatch(path: path)) { try plain.unlocked(descriptor, with: .key(try #require(other.vault.key))) }
    }

    /// The owner and id are bound to the key: editing them in vault.json
    /// (and fixing its checksum, as an attacker would) does not pass.
    @Test func anEditedOwnerIsCaughtEvenWithAValidChecksum() throws {
        let world = try TestWorld(encrypted: true)
        var descriptor = try world.vault.readDescriptor()
        descriptor.owner = "mallory"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(descriptor.sealedWithChecksum).write(to: world.vault.descriptorURL)
        let edited = try world.vault.readDescriptor()
        #expect(throws: TandemError.self) { try Vault(root: world.vault.root).unlocked(edited, with: .passphrase(TestWorld.passphrase)) }
        #expect(throws: TandemError.vaultKeyMismatch(path: world.vault.descriptorURL.path)) {
            try Vault(root: world.vault.root).unlocked(edited, with: .key(try #require(world.vault.key)))
        }
    }

    /// A passphrase change writes a new key file and removes the one the old
    /// passphrase opened; no other file changes, vault.json included.
    @Test func aPassphraseChangeReplacesOnlyItsKeyFileAndKeepsEveryDeviceWorking() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"], encrypted: true)
        try world.put("laptop", "c", "k", "1")
        try await world.sync("laptop")
        func isKeyFile(_ path: String) -> Bool { path.hasPrefix(world.vault.root.appendingPathComponent("keys").path + "/") }
        let before = try vaultBytes(world.vault.root)
        let oldKeys = before.filter { isKeyFile($0.path) }
        #expect(oldKeys.count == 1)

        try world.vault.changePassphrase(using: .passphrase(TestWorld.passphrase), to: "new passphrase", parameters: ScryptParameters(logN: 10))

        let after = try vaultBytes(world.vault.root)
        let newKeys = after.filter { isKeyFile($0.path) }
        #expect(newKeys.count == 1 && newKeys[0].path != oldKeys[0].path, "\(newKeys.map(\.path))")
        #expect(before.filter { !isKeyFile($0.path) }.map(\.path).sorted() == after.filter { !isKeyFile($0.path) }.map(\.path).sorted())
        for file in before where !isKeyFile(file.path) { #expect(after.first { $0.path == file.path }?.bytes == file.bytes, "\(file.path) changed") }
        let plain = Vault(root: world.vault.root)
        let descriptor = try plain.readDescriptor()
        #expect(throws: TandemError.wrongPassphrase(path: plain.descriptorURL.path)) {
            try plain.unlocked(descriptor, with: .passphrase(TestWorld.passphrase))
        }
        #expect(try plain.unlocked(descriptor, with: .passphrase("new passphrase")).key == world.vault.key)
        #expect(try plain.unlocked(descriptor, with: .recoveryPhrase(try #require(world.recoveryPhrase).joined(separator: " "))).key == world.vault.key)
        try world.put("laptop", "c", "k", "2")
        try await world.sync("laptop")
        try await world.sync("phone", .accept)
        #expect(try world.value("phone", "c", "k") == "2")
    }

    @Test func aRememberedKeyOutlivesTheProcessAndLockForgetsIt() async throws {
        let world = try TestWorld(devices: ["laptop"], encrypted: true)
        let path = world["laptop"].path
        try Device(store: world["laptop"]).unlock(.passphrase(TestWorld.passphrase), remember: true)
        try world["laptop"].close()

        let reopened = Device(store: try DeviceStore.open(at: path))
        #expect(try reopened.needsVaultKey() == false)
        #expect(try await Synchronizer(device: reopened, logger: TestWorld.quiet).sync(policies: .all(.review)).online)
        #expect(try reopened.lock())
        try reopened.store.close()

        let locked = Device(store: try DeviceStore.open(at: path))
        #expect(try locked.needsVaultKey())
        #expect(throws: TandemError.vaultLocked(path: world.vault.root.path)) {
            try locked.vault()
        }
        // The key's bytes are gone from the file, not only from the table.
        let key = Digest.hex(try #require(world.vault.key).bytes)
        for suffix in ["", "-wal"] {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: path + suffix))) ?? Data()
            #expect(data.range(of: Data(key.utf8)) == nil, "the key is still in \(path + suffix)")
        }
    }

    /// A vault.json replaced by a plain one (a downgrade) is refused by a
    /// device that joined it encrypted.
    @Test func aDowngradeToPlainIsRefused() async throws {
        let world = try TestWorld(devices: ["laptop"], encrypted: true)
        var descriptor = try world.vault.readDescriptor()
        descriptor.sealing = PlainSealer.name
        descriptor.encryption = nil
        try JSONEncoder().encode(descriptor.sealedWithChecksum).write(to: world.vault.descriptorURL)
        await #expect(throws: TandemError.sealingChanged(path: world.vault.descriptorURL.path, expected: AESGCMSealer.name, found: PlainSealer.name)) {
            try await world.sync("laptop")
        }
    }

    @Test func filesAreReadableOnlyByTheirOwner() async throws {
        let world = try TestWorld(encrypted: true)
        let home = DeviceHome(root: world.folder.url.appendingPathComponent("home"))
        let device = try home.createDevice(name: "laptop", vaultPath: world.vault.root, credential: .passphrase(TestWorld.passphrase), remember: true)
        let store = device.store
        try store.write(context: "c", key: "k", value: "1")
        _ = try await Synchronizer(device: device, logger: TestWorld.quiet).sync(policies: .all(.review))
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
        }
        for (path, _) in try vaultBytes(world.vault.root) { #expect(try mode(path) == 0o600, "\(path)") }
        for folder in [world.vault.root.path, world.vault.root.appendingPathComponent("log").path, world.vault.root.appendingPathComponent("devices").path,
                       world.vault.logFolder(of: try store.info().id).path, home.root.path, (store.path as NSString).deletingLastPathComponent] {
            #expect(try mode(folder) == 0o700, "\(folder)")
        }
        for suffix in ["", "-wal", "-shm", ".lock"] where FileManager.default.fileExists(atPath: store.path + suffix) {
            #expect(try mode(store.path + suffix) == 0o600, "\(store.path + suffix)")
        }
    }

    @Test func joiningAsAnotherOwnerIsRefusedAndLeavesNothing() throws {
        let world = try TestWorld(owner: "alice", encrypted: true)
        let home = DeviceHome(root: world.folder.url.appendingPathComponent("home"))
        #expect(throws: TandemError.ownerMismatch(path: world.vault.root.path, vaultOwner: "alice", requested: "bob")) {
            try home.createDevice(name: "laptop", vaultPath: world.vault.root, credential: .passphrase(TestWorld.passphrase), owner: "bob")
        }
        #expect(home.deviceNames().isEmpty)
        #expect(world.vault.deviceRecords().records.isEmpty)
    }

    /// A vault.json swapped for a plain one must not make a new device push in clear.
    @Test func aNewDeviceRefusesAPlainVaultJSONBesideSealedFiles() async throws {
        let world = try TestWorld(devices: ["laptop"], encrypted: true)
        try world.put("laptop", "c", "k", #""secret""#)
        try await world.sync("laptop")
        var descriptor = try world.vault.readDescriptor()
        descriptor.sealing = PlainSealer.name
        descriptor.encryption = nil
        try JSONEncoder().encode(descriptor.sealedWithChecksum).write(to: world.vault.descriptorURL)
        let home = DeviceHome(root: world.folder.url.appendingPathComponent("home"))
        #expect(throws: TandemError.sealingChanged(path: world.vault.descriptorURL.path, expected: AESGCMSealer.name, found: PlainSealer.name)) {
            try home.createDevice(name: "phone", vaultPath: world.vault.root)
        }
        #expect(home.deviceNames().isEmpty)
    }

    /// Without the key, an encrypted vault shows no device records at all:
    /// a plain one planted there would be a forgery.
    @Test func aLockedDeviceShowsNoPlantedRecord() async throws {
        let world = try TestWorld(encrypted: true)
        let home = DeviceHome(root: world.folder.url.appendingPathComponent("home"))
        let store = try home.createDevice(name: "laptop", vaultPath: world.vault.root, credential: .passphrase(TestWorld.passphrase))
        #expect(store.readableDeviceRecords().map(\.name) == ["laptop"])
        let forged = DeviceRecord(id: DeviceID(validating: "aaaaaaaaaaaaaaaa")!, name: "forged", created: "2026-01-01T00:00:00Z")
        try Vault(root: world.vault.root).writeDeviceRecord(forged)
        #expect(store.readableDeviceRecords().map(\.name) == ["laptop"])
        try store.lock()
        #expect(store.readableDeviceRecords().isEmpty)
    }

    @Test func scryptParametersThatWouldCostTooMuchAreRefused() {
        #expect(ScryptParameters(logN: 17).problem == nil)
        #expect(ScryptParameters(logN: 20, r: 8).problem == nil)
        #expect(ScryptParameters(logN: 21).problem != nil)
        #expect(ScryptParameters(logN: 20, r: 16).problem != nil)
        #expect(ScryptParameters(logN: 17, r: 8, p: 4).problem == nil)
        #expect(ScryptParameters(logN: 20, r: 8, p: 4).problem != nil)
        #expect(ScryptParameters(logN: 9).problem != nil)
    }

    /// The checksum covers members a later build may add, and catches an edit.
    @Test func theChecksumCoversUnknownMembers() throws {
        let world = try TestWorld(encrypted: true)
        let url = world.vault.descriptorURL
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        object["addedLater"] = ["x": 1]
        object["checksum"] = nil
        object["checksum"] = VaultDescriptor.checksum(ofJSON: try JSONSerialization.data(withJSONObject: object))
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: url)
        #expect(try world.vault.readDescriptor().id == world.descriptor.id)
        object["addedLater"] = ["x": 2]
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: url)
        #expect(throws: TandemError.vaultCorrupt(path: url.path, reason: "its checksum does not match its fields (the file is damaged or was edited)")) {
            try world.vault.readDescriptor()
        }
    }
}
