import Foundation
import Testing
@testable import TandemCore

/// Retired devices: a reinstall retires the installation it replaced, a
/// person retires a device that will not come back; the retiring device
/// republishes what the retired log carried, removes it after the grace,
/// and a retired device that syncs again is refused before it writes.
@Suite struct RetirementTests {
    private func synchronizer(_ device: Device, grace: Int64 = Synchronizer.defaultCompactionGraceMillis) -> Synchronizer {
        var synchronizer = Synchronizer(device: device, logger: TestWorld.quiet)
        synchronizer.compactionGraceMillis = grace
        return synchronizer
    }

    /// Every file under `folder`, with its bytes.
    private func files(_ folder: URL) -> [String: Data] {
        var result: [String: Data] = [:]
        let paths = FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []
        for path in paths {
            if let data = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path) { result[path] = data }
        }
        return result
    }

    /// old writes and pushes while laptop's record (which retired it) has not
    /// reached it yet, as through a replica still copying.
    private func lateWrite(_ world: TestWorld) async throws {
        let record = world.vault.deviceRecordURL(try world["laptop"].info().id)
        let aside = world.folder.url.appendingPathComponent("record-in-transit")
        try FileManager.default.moveItem(at: record, to: aside)
        try world.put("old", "notes", "late", "2")
        try await world.sync("old")
        try FileManager.default.moveItem(at: aside, to: record)
    }

    /// What a sync that must be refused says.
    private func refusal(_ synchronizer: Synchronizer) async throws -> String {
        do {
            _ = try await synchronizer.sync(policies: .all(.review))
        } catch {
            return error.description
        }
        Issue.record("the sync was not refused")
        return ""
    }

    @Test func aReinstallRetiresWhatItReplacedAndACopyOfTheOldStoreBecomesANewDevice() async throws {
        let folder = TemporaryFolder()
        let vault = folder.url.appendingPathComponent("vault")
        try Vault.create(at: vault, owner: "alice", protection: .none)
        let home = DeviceHome(root: folder.url.appendingPathComponent("home"))
        let tablet = try home.createDevice(name: "tablet", vaultPath: vault)
        let oldID = try tablet.store.info().id
        try tablet.store.write(context: "notes", key: "n1", value: "1")
        try tablet.store.write(context: "notes", key: "n2", value: "2")
        _ = try await synchronizer(tablet).sync(policies: .all(.review))
        let laptop = try home.createDevice(name: "laptop", vaultPath: vault)
        _ = try await synchronizer(laptop).sync(policies: .all(.accept))
        // A backup of the tablet's home, taken before the reinstall.
        let oldStore = folder.url.appendingPathComponent("old-tablet.sqlite").path
        try tablet.store.write(context: "notes", key: "unpublished", value: "3")
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: tablet.store.path + suffix) {
            try FileManager.default.copyItem(atPath: tablet.store.path + suffix, toPath: oldStore + suffix)
        }
        _ = try await synchronizer(tablet).sync(policies: .all(.review))
        try tablet.store.close()

        let fresh = try await home.reinstallDevice(name: "tablet")
        _ = try await synchronizer(fresh).sync(policies: .all(.accept))
        let record = try #require(Vault(root: vault).deviceRecords().records.first { $0.id == (try fresh.store.info().id) })
        #expect(record.retired?.map(\.id) == [oldID])
        #expect(FileManager.default.fileExists(atPath: Vault(root: vault).logFolder(of: oldID).path), "kept for the grace period")

        _ = try await synchronizer(fresh, grace: 0).sync(policies: .all(.accept))
        #expect(!FileManager.default.fileExists(atPath: Vault(root: vault).logFolder(of: oldID).path))
        #expect(!FileManager.default.fileExists(atPath: Vault(root: vault).deviceRecordURL(oldID).path))
        #expect(try fresh.store.retirements().first?.removed == true)

        // Everything the old installation wrote still reaches a new device, from the new installation's log.
        let desk = try home.createDevice(name: "desk", vaultPath: vault)
        let restored = try await synchronizer(desk).sync(policies: .all(.accept))
        #expect(restored.problems.isEmpty)
        for (key, value) in [("n1", "1"), ("n2", "2"), ("unpublished", "3")] {
            #expect(try desk.store.entry(context: "notes", key: key)?.value == value)
        }

        // A copy of the old store, opened elsewhere (a home copied before the
        // reinstall), is not the retired installation: it becomes a device of
        // its own and publishes what only it holds.
        let old = Device(store: try DeviceStore.open(at: oldStore))
        try old.store.write(context: "notes", key: "only-in-copy", value: "4")
        let copied = try await synchronizer(old).sync(policies: .all(.accept))
        #expect(copied.identityChange?.was == oldID)
        _ = try await synchronizer(desk).sync(policies: .all(.accept))
        #expect(try desk.store.entry(context: "notes", key: "only-in-copy")?.value == "4")
    }

    @Test func aPersonRetiresADeviceThatWillNotComeBack() async throws {
        let world = try TestWorld(devices: ["laptop", "phone", "old"])
        try world.put("old", "notes", "kept", "1")
        try world.put("old", "notes", "replaced", "1")
        try await world.sync("old")
        try await world.sync("phone", .accept)
        try world.put("phone", "notes", "replaced", "2")
        try await world.sync("phone")
        try await world.sync("laptop", .accept)
        let oldID = try world["old"].info().id

        let laptop = synchronizer(world.device("laptop"), grace: 0)
        let retired = try await laptop.retire(oldID)
        #expect(retired.name == "old")
        await #expect(throws: TandemError.cannotRetire(reason: "a device cannot retire itself; retire it from another device")) {
            try await laptop.retire(try world["laptop"].info().id)
        }
        await #expect(throws: TandemError.self) { try await laptop.retire(DeviceID.random()) }

        // The first sync republishes what old's log carried that nothing superseded; the next removes the log.
        let folding = try await laptop.sync(policies: .all(.accept))
        #expect(folding.changesPushed == 1, "only notes/kept: phone's notes/replaced has seen old's")
        _ = try await laptop.sync(policies: .all(.accept))
        #expect(try world.vault.loggingDevices().contains(oldID) == false)

        try world.addDevice("new")
        try await world.sync("new", .accept)
        #expect(try world.data("new") == ["notes/kept": "1", "notes/replaced": "2"])
        // old itself comes back: refused before it writes anything, and told what to do.
        try world.put("old", "notes", "late", "1")
        let before = files(world.vault.root)
        let refused = try await refusal(Synchronizer(device: world.device("old"), logger: TestWorld.quiet))
        #expect(refused.contains("was retired by laptop"), "\(refused)")
        #expect(refused.contains("this store holds 1 change it did not publish itself"))
        #expect(refused.contains("tandem device rejoin"))
        #expect(files(world.vault.root) == before)
        // Rejoining makes it a new device that keeps its late write.
        let change = try await Synchronizer(device: world.device("old"), logger: TestWorld.quiet).rejoin()
        #expect(change.was == oldID)
        try await world.sync("old")
        try await world.sync("new", .accept)
        #expect(try world.value("new", "notes", "late") == "1")
    }

    /// A retired device that had not seen its retirement yet (a replica
    /// still copying) pushes once more: the retiring device folds that too
    /// before it removes the log, and nothing is lost.
    @Test func aWriteAfterRetirementIsFoldedBeforeTheLogGoes() async throws {
        let world = try TestWorld(devices: ["laptop", "old"])
        try world.put("old", "notes", "first", "1")
        try await world.sync("old")
        try await world.sync("laptop", .accept)
        let laptop = synchronizer(world.device("laptop"), grace: 0)
        _ = try await laptop.retire(try world["old"].info().id)
        _ = try await laptop.sync(policies: .all(.accept))

        // old does not see laptop's record yet, and pushes.
        try await lateWrite(world)

        _ = try await laptop.sync(policies: .all(.accept))
        _ = try await laptop.sync(policies: .all(.accept))
        #expect(try world.vault.loggingDevices().contains(try world["old"].info().id) == false)
        try world.addDevice("new")
        try await world.sync("new", .accept)
        #expect(try world.data("new") == ["notes/first": "1", "notes/late": "2"])
    }

    /// The retired device pushes once more after its log was removed (it
    /// had not seen its retirement, and a replica brought its segment
    /// late): the log is back, and is folded and removed again.
    @Test func aLogThatComesBackAfterRemovalIsFoldedAgain() async throws {
        let world = try TestWorld(devices: ["laptop", "old"])
        try world.put("old", "notes", "first", "1")
        try await world.sync("old")
        try await world.sync("laptop", .accept)
        let oldID = try world["old"].info().id
        let laptop = synchronizer(world.device("laptop"), grace: 0)
        _ = try await laptop.retire(oldID)
        _ = try await laptop.sync(policies: .all(.accept))
        _ = try await laptop.sync(policies: .all(.accept))
        #expect(try world.vault.loggingDevices().contains(oldID) == false)

        try await lateWrite(world)
        #expect(try world.vault.loggingDevices().contains(oldID))

        _ = try await laptop.sync(policies: .all(.accept))
        _ = try await laptop.sync(policies: .all(.accept))
        #expect(try world.vault.loggingDevices().contains(oldID) == false)
        try world.addDevice("new")
        try await world.sync("new", .accept)
        #expect(try world.data("new") == ["notes/first": "1", "notes/late": "2"])
    }
}
