#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import TandemCore

/// Prune on one replica of a synced vault while a backup on another
/// replica reuses the packs it judges: the touches and the manifest that
/// keep them arrive late, and a removal wins over them.
@Suite struct LaggingReplicaPruneTests {
    private let world: TestWorld
    private let replicaRoot: URL
    private let copy: LaggingCopy
    private let laptop: Device
    private let phone: Device
    private let source: URL

    init() throws {
        world = try TestWorld(encrypted: true)
        replicaRoot = world.folder.url.appendingPathComponent("replica")
        laptop = try DeviceHome(root: world.folder.url.appendingPathComponent("laptop-home"))
            .createDevice(name: "laptop", vaultPath: world.vault.root, credential: .passphrase(TestWorld.passphrase))
        source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        for index in 0..<4 { try random.readData(ofLength: 400_000).write(to: source.appendingPathComponent("file-\(index).bin")) }
        _ = try laptop.snapshots.createSnapshot(of: source.path)
        try FileManager.default.copyItem(at: world.vault.root, to: replicaRoot)
        phone = try DeviceHome(root: world.folder.url.appendingPathComponent("phone-home"))
            .createDevice(name: "phone", vaultPath: replicaRoot, credential: .passphrase(TestWorld.passphrase))
        // Old packs, as after three hours (or a clock that runs behind on the machine that wrote them).
        for root in [world.vault.root, replicaRoot] {
            for pack in Self.packs(root) {
                var times = [timespec(tv_sec: time(nil) - 3 * 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3 * 3600, tv_nsec: 0)]
                #expect(utimensat(AT_FDCWD, pack, &times, 0) == 0)
            }
        }
        copy = LaggingCopy(world.vault.root, replicaRoot)
    }

    static func packs(_ root: URL) -> [String] {
        let packs = root.appendingPathComponent("packs")
        return (FileManager.default.enumerator(atPath: packs.path)?.allObjects as? [String] ?? [])
            .filter { $0.count == 67 && !$0.contains(".tmp-") }.map { packs.appendingPathComponent($0).path }
    }

    /// The phone backs up the four files, reusing the laptop's packs, while
    /// the laptop drops them from its own snapshots and prunes before the
    /// phone's touches and manifest arrive. The phone's snapshot must
    /// restore on both replicas afterwards, at every step.
    @Test func aPruneNeverRemovesWhatALaggingReplicaStillNeeds() throws {
        let phoneSnapshot = try #require(try phone.snapshots.createSnapshot(of: source.path).snapshotID)
        for index in 0..<4 { try FileManager.default.removeItem(at: source.appendingPathComponent("file-\(index).bin")) }
        _ = try laptop.snapshots.createSnapshot(of: source.path)
        #expect(try laptop.snapshots.forgetSnapshots(RetentionPolicy(last: 1)).forgotten.count == 1)

        // The prune judges packs the phone reuses, whose touches have not arrived.
        let first = try laptop.snapshots.pruneObjects(grace: 3600)
        #expect(first.packsRemoved == 0 && first.objectsRemoved == 0, "a prune removed packs in the same run that judged them: \(first)")
        #expect(first.packsCondemned > 0 && first.objectsCondemned >= 4, "\(first)")
        try copy.deliver(from: world.vault.root, to: replicaRoot)
        try copy.deliver(from: replicaRoot, to: world.vault.root)
        try expectRestores(phoneSnapshot, on: laptop, "after the first prune")
        try expectRestores(phoneSnapshot, on: phone, "after the first prune")

        // The phone has seen the record: a new backup writes the chunks again instead of reusing a condemned pack.
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        for index in 0..<4 { try FileManager.default.copyItem(at: restored(phoneSnapshot, on: phone).appendingPathComponent("file-\(index).bin"),
                                                               to: source.appendingPathComponent("file-\(index).bin")) }
        try random.readData(ofLength: 1000).write(to: source.appendingPathComponent("new.bin"))
        let again = try phone.snapshots.createSnapshot(of: source.path)
        #expect(again.bytesWritten > 1_600_000, "a backup reused a condemned pack: \(again)")
        let phoneSecond = try #require(again.snapshotID)

        // A grace later the packs wait again: the phone's touches arrived after they were condemned.
        let second = try laptop.snapshots.pruneObjects(grace: 3600, now: Date().addingTimeInterval(3601))
        #expect(second.packsRemoved + second.packsRewritten == 0 && second.packsCondemned == first.packsCondemned, "\(second)")
        // Another grace later they go; the phone's new packs have not arrived,
        // so what its first snapshot names is copied out of them first.
        let condemnedPacks = Self.packs(world.vault.root)
        let third = try laptop.snapshots.pruneObjects(grace: 3600, now: Date().addingTimeInterval(7202))
        #expect(third.packsRewritten == first.packsCondemned && third.objectsRemoved == 0, "\(third)")
        try copy.deliver(from: world.vault.root, to: replicaRoot)
        try copy.deliver(from: replicaRoot, to: world.vault.root)
        for root in [world.vault.root, replicaRoot] {
            #expect(Set(Self.packs(root)).isDisjoint(with: condemnedPacks.map { $0.replacingOccurrences(of: world.vault.root.path, with: root.path) }))
        }
        for (snapshot, device) in [(phoneSnapshot, laptop), (phoneSnapshot, phone), (phoneSecond, laptop), (phoneSecond, phone)] {
            try expectRestores(snapshot, on: device, "after the removal")
        }
        #expect(try laptop.snapshots.checkVault(readData: true).isEmpty)
    }

    /// A backup that began before the record arrived, and reused a pack
    /// named in it, copies what it needs out of that pack before it writes
    /// its manifest; so the removal a grace later takes nothing it names.
    @Test func aBackupThatSeesTheRecordLateCopiesWhatItNeeds() throws {
        let objects = try phone.vault().objects()
        let chunk = try #require(try laptop.snapshots.snapshots().manifests.first?.nodes.compactMap(\.chunks).first?.first)
        let content = try objects.read(chunk)
        #expect(try objects.store(content).written == 0, "the object was not in the replica")
        // Meanwhile the laptop condemns every pack (no snapshot left) and the record arrives.
        for id in try laptop.vault().snapshotIDs() { try laptop.vault().removeManifest(id) }
        let pruned = try laptop.snapshots.pruneObjects(grace: 3600)
        #expect(pruned.packsCondemned == Self.packs(world.vault.root).count, "\(pruned)")
        try copy.deliver(from: world.vault.root, to: replicaRoot)
        try objects.finish()
        let address = try phone.vault().objectAddress(of: content)
        let condemned = try phone.vault().condemnedPackNames()
        let fresh = try phone.vault().objects()
        let held = try #require(fresh.locations[address])
        #expect(held.contains { !condemned.contains($0.pack) }, "the object lives only in a condemned pack")
    }

    /// A pack condemned with a long grace waits that long, whatever grace a later prune is given.
    @Test func aCondemnedPackWaitsTheGraceItWasCondemnedWith() throws {
        for id in try laptop.vault().snapshotIDs() { try laptop.vault().removeManifest(id) }
        let condemned = try laptop.snapshots.pruneObjects(grace: 7200)
        #expect(condemned.packsCondemned > 0, "\(condemned)")
        let early = try laptop.snapshots.pruneObjects(grace: 0, now: Date().addingTimeInterval(3600))
        #expect(early.packsRemoved == 0 && early.packsWaiting == condemned.packsCondemned, "\(early)")
        let due = try laptop.snapshots.pruneObjects(grace: 0, now: Date().addingTimeInterval(7201))
        #expect(due.packsRemoved == condemned.packsCondemned, "\(due)")
    }

    private func restored(_ snapshot: String, on device: Device) throws -> URL {
        let target = world.folder.url.appendingPathComponent("restore-" + UUID().uuidString)
        let result = try device.snapshots.restoreSnapshot(snapshot, to: target.path)
        #expect(result.status == 0, "\(result)")
        return target
    }

    private func expectRestores(_ snapshot: String, on device: Device, _ when: String) throws {
        let result = try device.snapshots.restoreSnapshot(snapshot, to: world.folder.url.appendingPathComponent("check-" + UUID().uuidString).path)
        #expect(result.status == 0, "\(when): \(result.message) \(result.errors.prefix(3))")
    }
}
