import Foundation
import Testing
@testable import TandemCore

/// Damaged vault files are reported by path, nothing from them is applied,
/// and the other devices' logs still sync.
@Suite struct CorruptionTests {
    /// Three devices; `bad` and `good` each pushed one segment; `reader` has not synced.
    private func world() async throws -> TestWorld {
        let world = try TestWorld(devices: ["bad", "good", "reader"])
        try world.put("bad", "c", "from-bad", "1")
        try await world.sync("bad")
        try world.put("good", "c", "from-good", "2")
        try await world.sync("good")
        return world
    }

    private func segmentPath(_ world: TestWorld, _ name: String, _ seq: UInt64 = 1) throws -> String {
        world.vault.segmentURL(device: try world[name].info().id, seq: seq).path
    }

    private func expectReportedAndSkipped(_ world: TestWorld, path: String, containing text: String) async throws {
        let before = try world["reader"].cursors()
        let report = try await world.sync("reader", .accept)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.path == path)
        #expect(report.problems.first?.message.contains(path) == true)
        #expect(report.problems.first?.message.contains(text) == true, "\(report.problems)")
        #expect(try world.value("reader", "c", "from-bad") == nil)
        #expect(try world.value("reader", "c", "from-good") == "2")
        let badID = try world["bad"].info().id
        #expect(try world["reader"].cursors()[badID] == before[badID])
    }

    @Test func aTruncatedSegment() async throws {
        let world = try await world()
        let path = try segmentPath(world, "bad")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: path))
        try await expectReportedAndSkipped(world, path: path, containing: "corrupt segment")
    }

    @Test func aFlippedByte() async throws {
        let world = try await world()
        let path = try segmentPath(world, "bad")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        try await expectReportedAndSkipped(world, path: path, containing: "checksum mismatch")
    }

    @Test func aSegmentFromAnotherDeviceRenamedIntoPlace() async throws {
        let world = try await world()
        let path = try segmentPath(world, "bad")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: try segmentPath(world, "good"), toPath: path)
        try await expectReportedAndSkipped(world, path: path, containing: "corrupt segment")
    }

    @Test func aSegmentOutOfItsChain() async throws {
        let world = try await world()
        try world.put("bad", "c", "second", "3")
        try await world.sync("bad")
        // Replace segment 2 with a validly sealed segment that names another predecessor.
        let id = try world["bad"].info().id
        let forged = Segment(device: id, seq: 2, previousHash: Array(repeating: 7, count: 32), created: HLCTimestamp(wallMillis: 1),
                             changes: [LoggedChange(context: "c", key: "forged", version: EntryVersion(value: "9", vector: [id: 99], timestamp: HLCTimestamp(wallMillis: 1), origin: id))])
        let path = try segmentPath(world, "bad", 2)
        try FileManager.default.removeItem(atPath: path)
        _ = try world.vault.writeSegment(forged)
        let report = try await world.sync("reader", .accept)
        #expect(report.problems.first?.path == path)
        #expect(report.problems.first?.message.contains("does not follow segment 1") == true)
        #expect(try world.value("reader", "c", "from-bad") == "1")
        #expect(try world.value("reader", "c", "forged") == nil)
    }

    @Test func garbageInVaultJSON() async throws {
        let world = try await world()
        try Data("{not json".utf8).write(to: world.vault.descriptorURL)
        let before = try world["reader"].entries()
        await #expect(throws: TandemError.vaultCorrupt(path: world.vault.descriptorURL.path, reason: "not the JSON of a vault descriptor")) {
            try await world.sync("reader", .accept)
        }
        #expect(try world["reader"].entries() == before)
    }

    @Test func aVaultOfANewerFormatIsRefused() async throws {
        let world = try await world()
        let newer = VaultFormat.version + 1
        try Data(#"{"format": \#(newer), "id": "x"}"#.utf8).write(to: world.vault.descriptorURL)
        do {
            _ = try await world.sync("reader")
            Issue.record("a format \(newer) vault was used")
        } catch let error as TandemError {
            #expect(error == .vaultUnsupportedFormat(path: world.vault.descriptorURL.path, format: newer))
            #expect(error.description.contains("newer than this tandem understands"))
        }
    }

    @Test func anotherVaultAtTheSamePathIsRefused() async throws {
        let world = try await world()
        try FileManager.default.removeItem(at: world.vault.root)
        try Vault.create(at: world.vault.root, owner: "alice", protection: .none)
        await #expect(throws: TandemError.self) { try await world.sync("reader") }
    }
}
