import Foundation
import Testing
@testable import TandemCore

@Suite struct ReinstallTests {
    @Test func aReinstallRefusesWhatIsNotPushedThenRestoresEverythingAsANewInstallation() async throws {
        let folder = TemporaryFolder()
        let vault = folder.url.appendingPathComponent("vault")
        try Vault.create(at: vault, owner: "alice", protection: .none)
        let home = DeviceHome(root: folder.url.appendingPathComponent("home"))
        let tablet = try home.createDevice(name: "tablet", vaultPath: vault).store
        let oldID = try tablet.info().id
        try tablet.write(context: "notes", key: "n1", value: #""kept""#)
        try tablet.close()
        try home.createDevice(name: "laptop", vaultPath: vault).store.close()

        await #expect(throws: TandemError.unpushedChanges(device: "tablet", count: 1)) {
            try await home.reinstallDevice(name: "tablet")
        }
        let untouched = try DeviceStore.open(at: home.storePath(for: "tablet"))
        #expect(try untouched.entry(context: "notes", key: "n1")?.value == #""kept""#, "a refused reinstall changes nothing")
        _ = try await Synchronizer(device: Device(store: untouched)).sync(policies: .all(.review))
        try untouched.close()

        let fresh = try await home.reinstallDevice(name: "tablet").store
        let info = try fresh.info()
        #expect(info.id != oldID)
        #expect(info.replaces == oldID)
        #expect(try home.resolveDevice(nil) == "laptop", "a reinstall does not change which device commands act on")
        #expect(try fresh.entry(context: "notes", key: "n1") == nil, "nothing of the old store is kept")
        let report = try await Synchronizer(device: Device(store: fresh)).sync(policies: .all(.accept))
        #expect(report.applied == 1)
        #expect(try fresh.entry(context: "notes", key: "n1")?.value == #""kept""#)
        let record = Vault(root: vault).deviceRecords().records.first { $0.id == info.id }
        #expect(record?.replaces == oldID)
    }
}
