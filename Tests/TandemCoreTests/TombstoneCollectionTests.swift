import Foundation
import Testing
@testable import TandemCore

/// A deletion leaves checkpoints once every live device has it, never
/// earlier; a store that comes back from before it still ends with the
/// entry deleted (VaultFormat, "Collected tombstones").
@Suite struct TombstoneCollectionTests {
    static func compact(_ world: TestWorld, _ name: String, tombstoneGraceMillis: Int64 = 0) async throws -> CompactionReport {
        var synchronizer = Synchronizer(device: world.device(name), logger: TestWorld.quiet)
        synchronizer.tombstoneGraceMillis = tombstoneGraceMillis
        return try await synchronizer.compact(graceMillis: 0, dryRun: false, upgrade: false)
    }

    /// `a` writes friends/gone and friends/kept, `b` takes both; then `a`
    /// deletes gone and `b` takes the deletion.
    static func deletedEverywhere() async throws -> TestWorld {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "friends", "gone", #"{"n":1}"#)
        try world.put("a", "friends", "kept", #"{"n":2}"#)
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.remove("a", "friends", "gone")
        try await world.sync("a")
        try await world.sync("b", .accept)
        return world
    }

    /// `a` writes one more entry, syncs and compacts: one round of its log.
    static func round(_ world: TestWorld, _ n: Int, tombstoneGraceMillis: Int64 = 0) async throws -> CompactionReport {
        try world.put("a", "notes", "n\(n)", "\(n)")
        try await world.sync("a")
        try await world.sync("b", .accept)
        return try await compact(world, "a", tombstoneGraceMillis: tombstoneGraceMillis)
    }

    /// The deletions in `name`'s latest checkpoint.
    static func checkpointDeletions(_ world: TestWorld, _ name: String) throws -> [String] {
        let id = try world[name].info().id
        guard let seq = world.vault.listLog(of: id).latestCheckpoint else { return [] }
        var deletions: [String] = []
        _ = try world.vault.readCheckpoint(device: id, seq: seq) { part in
            deletions += part.changes.filter(\.version.isDeletion).map { "\($0.context)/\($0.key)" }
        }
        return deletions
    }

    @Test func aDeletionEveryDeviceHasLeavesTheCheckpointsAfterTheGrace() async throws {
        let world = try await Self.deletedEverywhere()
        _ = try await Self.compact(world, "a")
        #expect(try Self.checkpointDeletions(world, "a") == ["friends/gone"])
        // The next checkpoint opens the gate; one after the grace leaves the deletion out.
        let opened = try await Self.round(world, 1)
        #expect(opened.tombstonesCollected == 0)
        #expect(opened.tombstonesWaiting == 1)
        #expect(try Self.checkpointDeletions(world, "a") == ["friends/gone"])
        let collected = try await Self.round(world, 2)
        #expect(collected.tombstonesCollected == 1)
        #expect(try Self.checkpointDeletions(world, "a") == [])
        // The writer forgot the row too, so it does not come back with its own versions.
        #expect(try world["a"].entry(context: "friends", key: "gone") == nil)
        #expect(try Self.checkpointDeletions(world, "a") == [])
        _ = try await Self.round(world, 3)
        #expect(try Self.checkpointDeletions(world, "a") == [])

        // A new device restores what is live and nothing of the deletion.
        try world.addDevice("c")
        let restored = try await world.sync("c", .accept)
        #expect(restored.problems.isEmpty)
        #expect(try world["c"].entry(context: "friends", key: "gone") == nil)
        #expect(try world.data("c") == world.data("a"))
        #expect(try world.data("b") == world.data("a"))
    }

    @Test func theGraceIsWaitedFor() async throws {
        let world = try await Self.deletedEverywhere()
        _ = try await Self.compact(world, "a", tombstoneGraceMillis: 3_600_000)
        _ = try await Self.round(world, 1, tombstoneGraceMillis: 3_600_000)
        let early = try await Self.round(world, 2, tombstoneGraceMillis: 3_600_000)
        #expect(early.tombstonesCollected == 0)
        #expect(early.tombstonesWaiting == 1)
        #expect(try Self.checkpointDeletions(world, "a") == ["friends/gone"])
        world.clocks["a"]!.advance(3_600_000)
        let late = try await Self.round(world, 3, tombstoneGraceMillis: 3_600_000)
        #expect(late.tombstonesCollected == 1)
        #expect(try Self.checkpointDeletions(world, "a") == [])
    }

    @Test func aDeviceAwayBlocksCollectionUntilItHasTheDeletion() async throws {
        let world = try await Self.deletedEverywhere()
        try world.addDevice("away")
        try world.put("away", "notes", "mine", "1")
        try await world.sync("away", .accept)
        // `away` read everything once, then went away; `a` deletes more.
        try world.remove("a", "friends", "kept")
        try await world.sync("a")
        try await world.sync("b", .accept)
        for n in 1...4 {
            let report = try await Self.round(world, n)
            #expect(report.tombstonesCollected == 0, "round \(n)")
        }
        #expect(Set(try Self.checkpointDeletions(world, "a")) == ["friends/gone", "friends/kept"])
        // Back, it applies both; its log holds none of the deleted entries, so that is enough.
        try await world.sync("away", .accept)
        #expect(try world.value("away", "friends", "kept") == nil)
        #expect(try await Self.round(world, 5).tombstonesCollected == 0)
        #expect(try await Self.round(world, 6).tombstonesCollected == 2)
        #expect(try Self.checkpointDeletions(world, "a") == [])
    }

    /// `writer` writes friends/x and both take it; `a` deletes it, and `b` syncs under `policy`.
    static func deletion(writtenBy writer: String, then policy: SyncPolicy) async throws -> TestWorld {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put(writer, "friends", "x", "1")
        try await world.sync(writer)
        try await world.sync(writer == "a" ? "b" : "a", .accept)
        try world.remove("a", "friends", "x")
        try await world.sync("a")
        try await world.sync("b", policy)
        return world
    }

    @Test func aDeviceThatWroteTheEntryMustFoldItsLogFirst() async throws {
        let world = try await Self.deletion(writtenBy: "b", then: .accept)
        #expect(try world.value("b", "friends", "x") == nil)
        _ = try await Self.compact(world, "a")
        for n in 1...3 {
            // `b`'s segment still holds its version of x: a new device reading it needs the deletion.
            #expect(try await Self.round(world, n).tombstonesCollected == 0, "round \(n)")
        }
        #expect(try Self.checkpointDeletions(world, "a") == ["friends/x"])
        // Folded, `b`'s log no longer carries x: a gate opens for the deletion, and the grace counts from there.
        _ = try await Self.compact(world, "b")
        let opened = try await Self.round(world, 4)
        #expect(opened.tombstonesCollected == 0)
        #expect(opened.tombstonesWaiting == 1)
        #expect(try await Self.round(world, 5).tombstonesCollected == 1)
        try world.addDevice("c")
        try await world.sync("c", .accept)
        #expect(try world["c"].entry(context: "friends", key: "x") == nil)
        #expect(try world.data("c") == world.data("a"))
    }

    @Test func aDeletionWaitingForAPersonBlocks() async throws {
        // `b` has read the deletion but nobody took it there: b could still edit the entry beside it.
        let world = try await Self.deletion(writtenBy: "a", then: .review)
        #expect(try world.state("b", "friends", "x") == .incoming)
        _ = try await Self.compact(world, "a")
        for n in 1...3 {
            try world.put("a", "notes", "n\(n)", "\(n)")
            try await world.sync("a")
            try await world.sync("b", .review)
            #expect(try await Self.compact(world, "a").tombstonesCollected == 0, "round \(n)")
        }
        try world["b"].decide(.accept, context: "friends", key: "x")
        try await world.sync("b", .review)
        _ = try await Self.round(world, 4)
        #expect(try await Self.round(world, 5).tombstonesCollected == 1)
    }

    @Test func aRetiredDeviceNoLongerBlocks() async throws {
        let world = try await Self.deletedEverywhere()
        try world.addDevice("old")
        try await world.sync("old", .accept)
        try world.remove("a", "friends", "kept")
        try await world.sync("a")
        try await world.sync("b", .accept)
        _ = try await Self.compact(world, "a")
        _ = try await Self.round(world, 1)
        #expect(try await Self.round(world, 2).tombstonesCollected == 0)
        _ = try await Synchronizer(device: world.device("a"), logger: TestWorld.quiet).retire(try world["old"].info().id)
        _ = try await Self.round(world, 3)
        #expect(try await Self.round(world, 4).tombstonesCollected == 2)
    }

    @Test func aDeletionBesideAConcurrentVersionStays() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "friends", "k", "1")
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.remove("a", "friends", "k")
        try world.put("b", "friends", "k", "2")
        try await world.sync("a")
        try await world.sync("b")
        try await world.sync("a")
        #expect(try world.state("a", "friends", "k") == .conflict)
        _ = try await Self.compact(world, "b")
        _ = try await Self.compact(world, "a")
        for n in 1...3 {
            _ = try await Self.round(world, n)
            _ = try await Self.compact(world, "b")
        }
        #expect(try Self.checkpointDeletions(world, "a") == ["friends/k"])
    }

    /// The stories above in a vault restored to a store from before the
    /// deletion: a backup of `b` made while friends/gone was live.
    static func collectedPastACopy(of name: String) async throws -> (TestWorld, String) {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "friends", "gone", #"{"n":1}"#)
        try world.put("a", "friends", "kept", #"{"n":2}"#)
        try await world.sync("a")
        try await world.sync("b", .accept)
        let copy = try world.saveCopy(name)
        try world.remove("a", "friends", "gone")
        try await world.sync("a")
        try await world.sync("b", .accept)
        _ = try await Self.compact(world, "a")
        _ = try await Self.round(world, 1)
        #expect(try await Self.round(world, 2).tombstonesCollected == 1)
        return (world, copy)
    }

    @Test func aStoreBackFromBeforeTheDeletionDeletesTheEntryToo() async throws {
        let (world, copy) = try await Self.collectedPastACopy(of: "b")
        try world.putBack("b", from: copy)
        #expect(try world.value("b", "friends", "gone") == #"{"n":1}"#)
        let report = try await world.sync("b", .accept)
        #expect(report.problems.isEmpty)
        #expect(report.notices.contains { $0.contains("read what the whole vault holds") && $0.contains("friends/gone") }, "\(report.notices)")
        #expect(try world.value("b", "friends", "gone") == nil)
        #expect(try world.data("b") == world.data("a"))
        #expect(try world["b"].rereadPending() == nil)
        // Nothing is published for it: the others have it deleted already.
        #expect(try world["b"].outbox().isEmpty)
        // And later syncs do not read everything again.
        let next = try await world.sync("b", .accept)
        #expect(next.checkpointsPulled == 0)
    }

    @Test func underReviewTheLeftOutDeletionWaitsForThePerson() async throws {
        let (world, copy) = try await Self.collectedPastACopy(of: "b")
        try world.putBack("b", from: copy)
        try await world.sync("b", .review)
        #expect(try world.state("b", "friends", "gone") == .incoming)
        #expect(try world.value("b", "friends", "gone") == #"{"n":1}"#)
        try world["b"].decide(.accept, context: "friends", key: "gone")
        #expect(try world.value("b", "friends", "gone") == nil)
        try await world.sync("b", .accept)
        #expect(try world.data("b") == world.data("a"))
    }

    @Test func aStoreThatHeldNothingDoesNotReadTwice() async throws {
        let (world, _) = try await Self.collectedPastACopy(of: "b")
        try world.addDevice("fresh")
        let report = try await world.sync("fresh", .accept)
        #expect(!report.notices.contains { $0.contains("read what the whole vault holds") })
        #expect(try world["fresh"].rereadPending() == nil)
        #expect(try world.data("fresh") == world.data("a"))
    }

    @Test func aStoreBackFromBeforeKeepsWhatItWroteItself() async throws {
        let (world, copy) = try await Self.collectedPastACopy(of: "b")
        try world.putBack("b", from: copy)
        // Written on the restored store before it syncs: a write of its own, over the deleted entry.
        try world.put("b", "friends", "gone", #"{"n":9}"#)
        try await world.sync("b", .accept)
        #expect(try world.value("b", "friends", "gone") == #"{"n":9}"#)
        try await world.sync("a", .accept)
        #expect(try world.value("a", "friends", "gone") == #"{"n":9}"#)
    }

    @Test func aFormatThreeVaultKeepsEveryTombstone() async throws {
        let world = try await Self.deletedEverywhere()
        var descriptor = try world.vault.readDescriptor()
        descriptor.format = 3
        try JSONEncoder().encode(descriptor.checksum == nil ? descriptor : descriptor.sealedWithChecksum).write(to: world.vault.descriptorURL)
        #expect(try world.vault.readDescriptor().format == 3)
        for n in 0...3 { _ = try await Self.round(world, n) }
        #expect(try Self.checkpointDeletions(world, "a") == ["friends/gone"])
        let id = try world["a"].info().id
        let seq = try #require(world.vault.listLog(of: id).latestCheckpoint)
        let part = try #require(try world.vault.readCheckpointPart(device: id, seq: seq, part: 1))
        #expect(part.tombstonesThrough == nil)
        let bytes = try Data(contentsOf: world.vault.checkpointURL(device: id, seq: seq, part: 1))
        #expect(bytes[4] == 3)

        // Asked to, compact raises it to format 4, and deletions go from then on.
        let upgraded = try await Synchronizer(device: world.device("a"), logger: TestWorld.quiet).compact(graceMillis: 0, dryRun: false, upgrade: true)
        #expect(upgraded.upgraded)
        #expect(try world.vault.readDescriptor().format == VaultFormat.version)
        for n in 4...6 { _ = try await Self.round(world, n) }
        #expect(try Self.checkpointDeletions(world, "a") == [])
    }

    /// A compaction killed after it placed its checkpoint leaves it whole, and
    /// the next one keeps it: what it folded is what the killed run had
    /// applied, which is what the device's `folded` must say.
    @Test func aCheckpointLeftByAKilledRunFoldedWhatThatRunHadApplied() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("b", "friends", "x", "1")
        try await world.sync("b")
        try await world.sync("a", .accept)
        // The killed run of `b` noted its positions before it placed (before `a`'s deletion arrived).
        try world["b"].recordCheckpointApplied(seq: try world["b"].info().pushedSeq)
        try world.remove("a", "friends", "x")
        try await world.sync("a")
        try await world.sync("b", .accept)
        _ = try await Self.compact(world, "b")
        let deletionSeq = try world["a"].info().pushedSeq
        #expect(try (world["b"].folded()?[world["a"].info().id.rawValue] ?? 0) < deletionSeq)
    }

    @Test func aCheckpointPlacedAgainStillSaysWhatWasLeftOut() async throws {
        let world = try await Self.deletedEverywhere()
        _ = try await Self.compact(world, "a")
        _ = try await Self.round(world, 1)
        #expect(try await Self.round(world, 2).tombstonesCollected == 1)
        let id = try world["a"].info().id
        let seq = try #require(world.vault.listLog(of: id).latestCheckpoint)
        let through = try #require(try world.vault.readCheckpointPart(device: id, seq: seq, part: 1)?.tombstonesThrough)
        #expect(through > 0)
        // A replica loses the latest checkpoint; the next one is folded without it.
        try FileManager.default.removeItem(at: world.vault.checkpointURL(device: id, seq: seq, part: 1))
        _ = try await Self.round(world, 3)
        let next = try #require(world.vault.listLog(of: id).latestCheckpoint)
        #expect(try world.vault.readCheckpointPart(device: id, seq: next, part: 1)?.tombstonesThrough == through)
    }

    @Test func anEntryALogThatDoesNotReadWholeMayCarryWaits() async throws {
        let world = try TestWorld(devices: ["a", "b", "z"])
        try world.put("a", "friends", "gone", "1")
        try world.put("z", "friends", "zk", "1")
        try await world.sync("a")
        try await world.sync("z", .accept)
        try await world.sync("a", .accept)
        try await world.sync("b", .accept)
        let copy = try world.saveCopy("b")
        try world.remove("a", "friends", "gone")
        try world.remove("a", "friends", "zk")
        try await world.sync("a")
        try await world.sync("b", .accept)
        try await world.sync("z", .accept)
        _ = try await Self.compact(world, "z")
        try await world.sync("z", .accept)
        _ = try await Self.compact(world, "a")
        _ = try await Self.round(world, 1)
        try await world.sync("z", .accept)
        #expect(try await Self.round(world, 2).tombstonesCollected == 2)
        // `z`'s log goes missing here (its record says it pushed).
        let zLog = world.vault.logFolder(of: try world["z"].info().id)
        for name in try FileManager.default.contentsOfDirectory(atPath: zLog.path) {
            try FileManager.default.removeItem(at: zLog.appendingPathComponent(name))
        }
        try world.putBack("b", from: copy)
        let report = try await world.sync("b", .accept)
        #expect(try world.value("b", "friends", "gone") == nil)
        // z wrote zk: its log may carry it, so it waits, and the store says so.
        #expect(try world.value("b", "friends", "zk") == "1")
        #expect(report.notices.contains { $0.contains("wait until the logs of z") }, "\(report.notices)")
        #expect(try world["b"].rereadPending() != nil)
    }
}
