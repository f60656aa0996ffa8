import Foundation
import Testing
@testable import TandemCore

/// Temporary files a killed writer left in the vault: a device's backup
/// removes those older than a day from the folders it writes in, and leaves
/// younger ones (a write in progress) and other devices' logs alone.
@Suite struct LeftoverTests {
    @Test func aBackupRemovesTemporaryFilesOlderThanADayWhereItWrites() throws {
        let world = try TestWorld(encrypted: true)
        let home = DeviceHome(root: world.folder.url.appendingPathComponent("home"))
        let store = try home.createDevice(name: "laptop", vaultPath: world.vault.root, credential: .passphrase(TestWorld.passphrase))
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("first".utf8).write(to: source.appendingPathComponent("a.txt"))
        _ = try store.snapshots.createSnapshot(of: source.path)

        let vault = world.vault.root
        let own = vault.appendingPathComponent("log/\(try store.store.info().id.rawValue)")
        let other = vault.appendingPathComponent("log/00000000000000ff")
        let pack = try #require(try FileManager.default.contentsOfDirectory(atPath: vault.appendingPathComponent("packs").path).first)
        let folders = [vault, vault.appendingPathComponent("devices"), vault.appendingPathComponent("snapshots"),
                       vault.appendingPathComponent("packs/\(pack)"), own, other]
        let dayAndAHourAgo = Date().addingTimeInterval(-90_000)
        for folder in folders {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for name in [".tmp-old", ".tmp-new"] { try Data("partial".utf8).write(to: folder.appendingPathComponent(name)) }
            try FileManager.default.setAttributes([.modificationDate: dayAndAHourAgo], ofItemAtPath: folder.appendingPathComponent(".tmp-old").path)
        }

        try Data("second".utf8).write(to: source.appendingPathComponent("b.txt"))
        #expect(try store.snapshots.createSnapshot(of: source.path).status == 0)
        for folder in folders {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".tmp-") }.sorted()
            #expect(names == (folder == other ? [".tmp-new", ".tmp-old"] : [".tmp-new"]), "\(folder.path): \(names)")
        }
    }

    @Test func aSyncRemovesTemporaryFilesOlderThanADayOnceADay() async throws {
        let world = try TestWorld(devices: ["laptop"])
        try world.put("laptop", "c", "k", "1")
        try await world.sync("laptop")
        let vault = world.vault.root
        let own = vault.appendingPathComponent("log/\(try world["laptop"].info().id.rawValue)")
        let dayAndAHourAgo = Date().addingTimeInterval(-90_000)
        func leave(_ name: String, in folder: URL, old: Bool) throws {
            try Data("partial".utf8).write(to: folder.appendingPathComponent(name))
            if old { try FileManager.default.setAttributes([.modificationDate: dayAndAHourAgo], ofItemAtPath: folder.appendingPathComponent(name).path) }
        }
        let folders = [vault, vault.appendingPathComponent("devices"), own]
        for folder in folders {
            try leave(".tmp-old", in: folder, old: true)
            try leave(".tmp-new", in: folder, old: false)
        }
        // The first sync swept already: the next sweep waits a day.
        try await world.sync("laptop")
        #expect(FileManager.default.fileExists(atPath: own.appendingPathComponent(".tmp-old").path))
        world.clocks["laptop"]!.advance(86_400_000 + 1)
        try await world.sync("laptop")
        for folder in folders {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".tmp-") }
            #expect(names == [".tmp-new"], "\(folder.path): \(names)")
        }
    }
}
