import Foundation
import Testing
@testable import TandemCore

/// Damage one device found is recorded in the vault, so another device's
/// backup of the same content does not reuse the damaged copy either; in a
/// plain vault as in an encrypted one.
@Suite struct DamageRecordTests {
    @Test(arguments: [false, true])
    func damageFoundOnOneDeviceIsNotReusedByAnother(encrypted: Bool) throws {
        let world = try TestWorld(encrypted: encrypted)
        let home = DeviceHome(root: world.folder.url.appendingPathComponent("home"))
        let credential: VaultCredential? = encrypted ? .passphrase(TestWorld.passphrase) : nil
        let laptop = try home.createDevice(name: "laptop", vaultPath: world.vault.root, credential: credential)
        let phone = try home.createDevice(name: "phone", vaultPath: world.vault.root, credential: credential)
        let content = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) })
        for name in ["on-laptop", "on-phone"] {
            let folder = world.folder.url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try content.write(to: folder.appendingPathComponent("same.bin"))
        }
        let first = try #require(try laptop.snapshots.createSnapshot(of: world.folder.path("on-laptop")).snapshotID)
        let address = try #require(try laptop.snapshots.snapshot(first).nodes.first { $0.kind == .file }?.chunks?.first)
        let pack = try #require(try laptop.vault().objects().packURL(holding: address))
        var bytes = try Data(contentsOf: pack)
        bytes[40] ^= 0x40
        try bytes.write(to: pack)

        let verified = try laptop.snapshots.verifySnapshot(first, readData: true)
        #expect(verified.status == 2)
        #expect(verified.errors.contains("this damage touches snapshot \(first) (same.bin)"), "\(verified.errors)")
        let recorded = try laptop.vault().damageRecords()
        #expect(recorded.problems.isEmpty)
        #expect(recorded.objects.map(\.address) == [address])
        #expect(recorded.objects.first?.pack == pack.lastPathComponent)
        // Without --read-data too, the recorded copy is named.
        let looked = try laptop.snapshots.verifySnapshot(first, readData: false)
        #expect(looked.errors.first == "same.bin: \(pack.path): its object \(address), at byte 0, is recorded damaged", "\(looked.errors)")

        // The phone's first backup of the same content writes it again.
        let other = try phone.snapshots.createSnapshot(of: world.folder.path("on-phone"))
        #expect(other.chunksWritten == 1 && other.bytesWritten > 0, "\(other)")
        #expect(try phone.snapshots.verifySnapshot(try #require(other.snapshotID), readData: true).status == 0)
        #expect(try laptop.snapshots.verifySnapshot(first, readData: true).status == 0, "the laptop's snapshot reads the phone's copy")
        #expect(try laptop.snapshots.checkVault(readData: true).isEmpty)
    }
}
