import Foundation
import Testing
@testable import TandemCore

/// A push that crashed after its segment was renamed into place, but before
/// the store recorded it, is recognised on the next sync: no seq is reused,
/// nothing is pushed twice, the outbox empties.
@Suite struct CrashRecoveryTests {
    @Test func aSegmentRenamedButNotRecordedIsRecognised() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "c", "k1", "1")
        try world.put("a", "c", "k2", "2")
        let info = try world["a"].info()
        // What push does up to the crash: write the segment, record nothing.
        let segment = Segment(device: info.id, seq: 1, previousHash: info.pushedHash, created: try world["a"].nextTimestamp(),
                              changes: try world["a"].outbox())
        _ = try world.vault.writeSegment(segment)
        #expect(try world["a"].info().pushedSeq == 0)

        try world.put("a", "c", "k3", "3")
        let report = try await world.sync("a")
        #expect(report.changesPushed == 1, "only the write made after the crash is new")
        #expect(try world["a"].info().pushedSeq == 2)
        #expect(try world["a"].outbox().isEmpty)
        #expect(try world.state("a", "c", "k1") == .inSync)
        let seqs = try FileManager.default.contentsOfDirectory(atPath: world.vault.logFolder(of: info.id).path).sorted()
        #expect(seqs == ["000000000001.seg", "000000000002.seg"])
        let pulled = try await world.sync("b", .accept)
        #expect(pulled.problems.isEmpty)
        #expect(try world.data("b").count == 3)
    }

    @Test func aWriteMadeDuringTheLostPushStaysQueued() async throws {
        let world = try TestWorld(devices: ["a"])
        try world.put("a", "c", "k", "1")
        let info = try world["a"].info()
        let segment = Segment(device: info.id, seq: 1, previousHash: info.pushedHash, created: try world["a"].nextTimestamp(),
                              changes: try world["a"].outbox())
        _ = try world.vault.writeSegment(segment)
        try world.put("a", "c", "k", "2")
        try await world.sync("a")
        #expect(try world["a"].info().pushedSeq == 2)
        #expect(try world.state("a", "c", "k") == .inSync)
        #expect(try world.value("a", "c", "k") == "2")
    }
}
