import Foundation
import Testing
@testable import TandemCore

/// A device folds its own log into a checkpoint; readers take the
/// checkpoint instead of the segments it covers, whatever order a synced
/// folder delivers the files in (VaultFormat, "Checkpoints").
@Suite struct CompactionTests {
    /// `a` writes k0…k4 over ten syncs (k0 five times, k1 deleted), and `b` reads it all.
    static func history(encrypted: Bool = false) async throws -> TestWorld {
        let world = try TestWorld(devices: ["a", "b"], encrypted: encrypted)
        for round in 0..<5 {
            try world.put("a", "notes", "k\(round)", #"{"v":\#(round)}"#)
            try await world.sync("a")
            try world.put("a", "notes", "k0", #"{"round":\#(round)}"#)
            try await world.sync("a")
        }
        try world.remove("a", "notes", "k1")
        try await world.sync("a")
        try await world.sync("b", .accept)
        return world
    }

    static func compact(_ world: TestWorld, _ name: String, graceMillis: Int64 = 0, dryRun: Bool = false) async throws -> CompactionReport {
        try await Synchronizer(device: world.device(name), logger: TestWorld.quiet).compact(graceMillis: graceMillis, dryRun: dryRun, upgrade: false)
    }

    static func logFiles(_ world: TestWorld, _ name: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: world.vault.logFolder(of: world[name].info().id).path).sorted()
    }

    @Test(arguments: [false, true])
    func aNewDeviceRestoresFromTheCheckpointAlone(encrypted: Bool) async throws {
        let world = try await Self.history(encrypted: encrypted)
        let report = try await Self.compact(world, "a")
        #expect(report.checkpoint == 11)
        #expect(report.segmentsFolded == 11)
        // k0's four earlier versions are folded away; k1's deletion stays.
        #expect(report.versions == 5)
        #expect(try Self.logFiles(world, "a") == ["000000000011-0001.ckp"])

        try world.addDevice("c")
        let restored = try await world.sync("c", .accept)
        #expect(restored.checkpointsPulled == 1)
        #expect(restored.segmentsPulled == 0)
        #expect(restored.problems.isEmpty)
        #expect(try world.data("c") == world.data("a"))
        #expect(try world.state("c", "notes", "k1") == .inSync)
        #expect(try world.value("c", "notes", "k1") == nil)
    }

    @Test func aReaderPartWayThroughReadsTheCheckpointThenTheTail() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "notes", "early", "1")
        try await world.sync("a")
        try await world.sync("b", .accept)
        for value in 2...6 {
            try world.put("a", "notes", "late", "\(value)")
            try await world.sync("a")
        }
        _ = try await Self.compact(world, "a")
        try world.put("a", "notes", "tail", "7")
        try await world.sync("a")
        let report = try await world.sync("b", .accept)
        #expect(report.checkpointsPulled == 1)
        #expect(report.segmentsPulled == 1)
        #expect(report.problems.isEmpty)
        #expect(try world.data("b") == ["notes/early": "1", "notes/late": "6", "notes/tail": "7"])
        // And the writer itself goes on pushing past its checkpoint.
        #expect(try await world.sync("a").restated == nil)
    }

    @Test func aVersionAnotherDeviceSupersededIsLeftOut() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "notes", "k", "1")
        try world.put("a", "notes", "mine", "1")
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.put("b", "notes", "k", "2")
        try await world.sync("b")
        try await world.sync("a", .accept)
        let report = try await Self.compact(world, "a")
        #expect(report.versions == 1, "only a's notes/mine: b's version has seen a's notes/k")
        try world.addDevice("c")
        try await world.sync("c", .accept)
        #expect(try world.data("c") == ["notes/k": "2", "notes/mine": "1"])
    }

    @Test func dryRunSaysExactlyWhatTheRunDoes() async throws {
        let world = try await Self.history()
        let before = try Self.logFiles(world, "a")
        let dry = try await Self.compact(world, "a", dryRun: true)
        #expect(try Self.logFiles(world, "a") == before)
        let real = try await Self.compact(world, "a")
        #expect(dry.checkpoint == real.checkpoint && dry.versions == real.versions && dry.files == real.files)
        #expect(dry.removed == real.removed && dry.removedBytes == real.removedBytes)
        #expect(real.removed.count == 11)
    }

    @Test func coveredSegmentsStayUntilTheGracePassesThenASyncRemovesThem() async throws {
        let world = try await Self.history()
        let report = try await Self.compact(world, "a", graceMillis: 3_600_000)
        #expect(report.removed.isEmpty)
        #expect(report.kept == 11)
        #expect(try Self.logFiles(world, "a").count == 12)
        try await world.sync("a")
        #expect(try Self.logFiles(world, "a").count == 12, "the grace has not passed")
        world.clocks["a"]!.advance(3_600_001)
        let sync = try await world.sync("a")
        #expect(sync.compaction?.removed.count == 11)
        #expect(try Self.logFiles(world, "a") == ["000000000011-0001.ckp"])
    }

    @Test func aSyncCompactsByItselfAfterEnoughSegments() async throws {
        let world = try TestWorld(devices: ["a"])
        var synchronizer = Synchronizer(device: world.device("a"), logger: TestWorld.quiet)
        synchronizer.compactAfterSegments = 4
        synchronizer.compactionGraceMillis = 0
        for value in 1...3 {
            try world.put("a", "notes", "k", "\(value)")
            #expect(try await synchronizer.sync(policies: .all(.review)).compaction == nil)
        }
        try world.put("a", "notes", "k", "4")
        let fourth = try await synchronizer.sync(policies: .all(.review))
        #expect(fourth.compaction?.checkpoint == 4)
        #expect(try Self.logFiles(world, "a") == ["000000000004-0001.ckp"])
        let record = try #require(world.vault.deviceRecords().records.first)
        #expect(record.checkpoint == 4)
    }

    /// The segments' removal arrives before the checkpoint (a replica that
    /// brings deletions first): the reader waits for it, which is neither a
    /// hole nor a problem, and its owner restates nothing.
    @Test func removalBeforeTheCheckpointArrivesIsWaitedFor() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "notes", "first", "1")
        try await world.sync("a")
        try await world.sync("b", .accept)
        for value in 2...4 {
            try world.put("a", "notes", "k\(value)", "\(value)")
            try await world.sync("a")
        }
        _ = try await Self.compact(world, "a")
        try world.put("a", "notes", "tail", "5")
        try await world.sync("a")
        let checkpoint = world.vault.checkpointURL(device: try world["a"].info().id, seq: 4, part: 1)
        let aside = world.folder.url.appendingPathComponent("checkpoint-in-transit")
        try FileManager.default.moveItem(at: checkpoint, to: aside)

        let waiting = try await world.sync("b", .accept)
        #expect(waiting.problems.isEmpty)
        #expect(waiting.gaps.count == 1)
        #expect(waiting.gaps.first?.awaitedCheckpoint == 4)
        #expect(waiting.gaps.first?.isHole == false)
        #expect(try world.data("b") == ["notes/first": "1"])
        #expect(try await world.sync("a").restated == nil)

        try FileManager.default.moveItem(at: aside, to: checkpoint)
        let arrived = try await world.sync("b", .accept)
        #expect(arrived.problems.isEmpty && arrived.gaps.isEmpty)
        #expect(try world.data("b") == world.data("a"))
    }

    /// The checkpoint arrives before the segments it covers: a new reader
    /// takes it, and the segments arriving later change nothing.
    @Test func theCheckpointBeforeItsSegmentsIsEnough() async throws {
        let world = try await Self.history()
        _ = try await Self.compact(world, "a", graceMillis: 3_600_000)
        let folder = world.vault.logFolder(of: try world["a"].info().id)
        let aside = world.folder.url.appendingPathComponent("segments-in-transit", isDirectory: true)
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".seg") {
            try FileManager.default.moveItem(at: folder.appendingPathComponent(name), to: aside.appendingPathComponent(name))
        }
        try world.addDevice("c")
        let first = try await world.sync("c", .accept)
        #expect(first.problems.isEmpty && first.checkpointsPulled == 1)
        for name in try FileManager.default.contentsOfDirectory(atPath: aside.path) {
            try FileManager.default.moveItem(at: aside.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let second = try await world.sync("c", .accept)
        #expect(second.changesPulled == 0 && second.segmentsPulled == 0)
        #expect(try world.data("c") == world.data("a"))
    }

    /// A damaged checkpoint is named by path and never applied: the reader
    /// reads the segments it covers while they are there, and otherwise
    /// waits until the owner publishes its writes again.
    @Test func aDamagedCheckpointIsNamedAndNeverApplied() async throws {
        let world = try await Self.history()
        _ = try await Self.compact(world, "a", graceMillis: 3_600_000)
        let checkpoint = world.vault.checkpointURL(device: try world["a"].info().id, seq: 11, part: 1)
        var bytes = try [UInt8](Data(contentsOf: checkpoint))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: checkpoint)

        try world.addDevice("c")
        let withSegments = try await world.sync("c", .accept)
        #expect(withSegments.problems.isEmpty)
        #expect(withSegments.notices.contains { $0.contains(checkpoint.path) && $0.contains("reading the segments") })
        #expect(withSegments.segmentsPulled == 11)
        #expect(try world.data("c") == world.data("a"))

        // Now without the segments: nothing of the checkpoint is applied.
        let folder = world.vault.logFolder(of: try world["a"].info().id)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".seg") {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        try world.addDevice("d")
        let without = try await world.sync("d", .accept)
        #expect(without.problems.map(\.path) == [checkpoint.path])
        #expect(try world.data("d").isEmpty)
        // The owner sees d wait, and publishes its writes again.
        #expect(try await world.sync("a").restated == 5)
        let healed = try await world.sync("d", .accept)
        #expect(healed.problems.isEmpty)
        #expect(try world.data("d") == world.data("a"))
    }

    /// A checkpoint of several files, one of which has not arrived: the
    /// reader applies none of it as a whole (its cursor stays), and takes it
    /// when the last file comes.
    @Test func aCheckpointWithAFileMissingIsWaitedFor() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        for index in 0..<5 { try world.put("a", "notes", "k\(index)", "\(index)") }
        var synchronizer = Synchronizer(device: world.device("a"), logger: TestWorld.quiet)
        synchronizer.maxChangesPerSegment = 2
        _ = try await synchronizer.sync(policies: .all(.review))
        _ = try await synchronizer.compact(graceMillis: 0, dryRun: false, upgrade: false)
        let id = try world["a"].info().id
        #expect(try Self.logFiles(world, "a") == ["000000000003-0001.ckp", "000000000003-0002.ckp", "000000000003-0003.ckp"])
        let third = world.vault.checkpointURL(device: id, seq: 3, part: 3)
        let aside = world.folder.url.appendingPathComponent("part-in-transit")
        try FileManager.default.moveItem(at: third, to: aside)
        let waiting = try await world.sync("b", .accept)
        #expect(waiting.problems.isEmpty)
        #expect(waiting.gaps.first?.awaitedCheckpoint == 3)
        #expect(try world["b"].cursors()[id] == nil)
        try FileManager.default.moveItem(at: aside, to: third)
        try await world.sync("b", .accept)
        #expect(try world["b"].cursors()[id]?.seq == 3)
        #expect(try world.data("b") == world.data("a"))
    }

    /// A checkpoint file is bound to its place like a segment: copied under
    /// another seq or part, or into another device's log, it does not open.
    @Test func aCheckpointFileIsBoundToItsPlace() throws {
        let device = DeviceID.random(), other = DeviceID.random()
        let change = LoggedChange(context: "notes", key: "k", version: EntryVersion(value: "1", vector: VersionVector([device: 1, other: 7]),
                                                                              timestamp: HLCTimestamp(wallMillis: 1, counter: 0), origin: device))
        let part = CheckpointPart(device: device, seq: 7, segmentHash: Array(repeating: 7, count: 32), created: HLCTimestamp(wallMillis: 2, counter: 0),
                                  installation: "0123456789abcdef", part: 1, parts: 1, changes: [change])
        let codec = CheckpointCodec(sealer: AESGCMSealer(key: .init(size: .bits256)))
        let bytes = try codec.encode(part)
        #expect(try codec.decode(bytes, device: device, seq: 7, part: 1) == part)
        #expect(throws: SegmentCodec.DecodeError.self) { try codec.decode(bytes, device: device, seq: 8, part: 1) }
        #expect(throws: SegmentCodec.DecodeError.self) { try codec.decode(bytes, device: device, seq: 7, part: 2) }
        #expect(throws: SegmentCodec.DecodeError.self) { try codec.decode(bytes, device: .random(), seq: 7, part: 1) }
        let plain = CheckpointCodec()
        let plainBytes = try plain.encode(part)
        #expect(try plain.decode(plainBytes, device: device, seq: 7, part: 1) == part)
        #expect(throws: SegmentCodec.DecodeError.self) { try codec.decode(plainBytes, device: device, seq: 7, part: 1) }
    }

    /// A store put back from a copy older than its device's latest
    /// checkpoint would meet no segment at its next seq (they were folded
    /// and removed), and push a second history under the same id: it
    /// becomes a new device instead, and nothing is lost.
    @Test func aStoreOlderThanItsCheckpointBecomesANewDevice() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "notes", "k", "1")
        try await world.sync("a")
        let copy = try world.saveCopy("a")
        for value in 2...4 {
            try world.put("a", "notes", "k", "\(value)")
            try await world.sync("a")
        }
        _ = try await Self.compact(world, "a")
        let id = try world["a"].info().id
        try world.putBack("a", from: copy)
        try world.put("a", "notes", "other", "\"x\"")
        let report = try await world.sync("a", .accept)
        #expect(report.identityChange?.was == id)
        #expect(report.problems.isEmpty)
        try await world.sync("b", .accept)
        #expect(try world.data("b") == ["notes/k": "4", "notes/other": "\"x\""])
        #expect(try world.data("a") == world.data("b"))
    }

    /// A recorded checkpoint that is not there any more (a replica lost it,
    /// or the vault folder came back from before it) is placed again before
    /// anything it covers is removed.
    @Test func segmentsAreNotRemovedOnTheWordOfACheckpointThatIsGone() async throws {
        let world = try await Self.history()
        _ = try await Self.compact(world, "a", graceMillis: 3_600_000)
        let checkpoint = world.vault.checkpointURL(device: try world["a"].info().id, seq: 11, part: 1)
        try FileManager.default.removeItem(at: checkpoint)
        world.clocks["a"]!.advance(3_600_001)
        try await world.sync("a")
        #expect(FileManager.default.fileExists(atPath: checkpoint.path), "placed again")
        #expect(try Self.logFiles(world, "a").count == 12, "the segments wait for the new checkpoint's grace")
        try world.addDevice("c")
        try await world.sync("c", .accept)
        #expect(try world.data("c") == world.data("a"))
    }

    /// The latest checkpoint is damaged and an older one is whole: the
    /// reader takes the older one and the segments after it, and says so.
    @Test func anOlderCheckpointStandsInForADamagedLatestOne() async throws {
        let world = try await Self.history()
        _ = try await Self.compact(world, "a", graceMillis: 3_600_000)
        try world.put("a", "notes", "later", "1")
        try await world.sync("a")
        _ = try await Self.compact(world, "a", graceMillis: 3_600_000)
        let latest = world.vault.checkpointURL(device: try world["a"].info().id, seq: 12, part: 1)
        try Data("not a checkpoint".utf8).write(to: latest)
        try world.addDevice("c")
        let report = try await world.sync("c", .accept)
        #expect(report.checkpointsPulled == 1 && report.segmentsPulled == 1)
        #expect(report.notices.contains { $0.contains(latest.path) && $0.contains("read the older checkpoint 11") })
        #expect(try world.data("c") == world.data("a"))
    }

    /// `compact` on a store that is not its device any more (copied
    /// elsewhere) is refused until a sync settles what it is.
    @Test func aCopiedStoreMustSyncBeforeItCompacts() async throws {
        let world = try await Self.history()
        let copy = try world.saveCopy("a")
        let copied = Device(store: try DeviceStore.open(at: copy, clock: world.clocks["a"]!))
        await #expect(throws: TandemError.self) {
            try await Synchronizer(device: copied, logger: TestWorld.quiet).compact(graceMillis: 0, dryRun: false, upgrade: false)
        }
        #expect(try Self.logFiles(world, "a").count == 11)
    }
}
