import Foundation
import Testing
@testable import TandemCore

/// The tamper suite: on a small encrypted vault, damage each kind of file in
/// many ways and check that every case is caught, reported with the file's
/// path, applies nothing of the damaged file, and leaves the untouched logs
/// syncing.
@Suite struct TamperTests {
    /// `a` pushed three segments (one key each), `b` two; a pristine copy
    /// of the vault is kept to start each case from.
    final class Fixture: @unchecked Sendable {
        let world: TestWorld
        let pristine: URL
        let a: DeviceID, b: DeviceID
        private var readers = 0

        init() async throws {
            world = try TestWorld(devices: ["a", "b"], encrypted: true)
            for index in 1...3 {
                try world.put("a", "c", "a\(index)", #"{"n":\#(index)}"#)
                try await world.sync("a")
            }
            for index in 1...2 {
                try world.put("b", "c", "b\(index)", #"{"n":\#(index)}"#)
                try await world.sync("b")
            }
            a = try world["a"].info().id
            b = try world["b"].info().id
            pristine = world.folder.url.appendingPathComponent("pristine")
            try FileManager.default.copyItem(at: world.vault.root, to: pristine)
        }

        func segment(_ device: DeviceID, _ seq: UInt64) -> String { world.vault.segmentURL(device: device, seq: seq).path }

        /// Puts the pristine vault back, then damages it with `damage`; returns a fresh reader.
        func freshCase(_ damage: () throws -> Void) throws -> DeviceStore {
            try FileManager.default.removeItem(at: world.vault.root)
            try FileManager.default.copyItem(at: pristine, to: world.vault.root)
            readers += 1
            let reader = try world.addDevice("reader-\(readers)")
            try damage()
            return reader
        }

        func keys(_ store: DeviceStore) throws -> Set<String> {
            Set(try store.entryRows().filter { $0.state == .inSync }.map(\.key))
        }
    }

    private func flip(_ path: String, at offset: Int) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[offset] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    private func truncate(_ path: String, to length: Int) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
    }

    /// A case on a segment of `a`: the sync reports `path`, applies a's
    /// segments before `seq` only, and all of b's.
    private func expectSegmentCaught(_ fixture: Fixture, reader: DeviceStore, path: String, aApplied: Int, bApplied: Int = 2,
                                     _ label: String) async throws {
        let report = try await Synchronizer(device: Device(store: reader, key: fixture.world.vault.key), logger: TestWorld.quiet).sync(policies: .all(.accept))
        #expect(report.problems.map(\.path) == [path], "\(label): \(report.problems.map(\.message))")
        #expect(report.problems.allSatisfy { $0.message.contains(path) }, "\(label)")
        let expected = Set((0..<aApplied).map { "a\($0 + 1)" } + (0..<bApplied).map { "b\($0 + 1)" })
        #expect(try fixture.keys(reader) == expected, "\(label)")
    }

    @Test func everyFlippedByteAndTruncationOfASegmentIsCaught() async throws {
        let fixture = try await Fixture()
        var cases = 0
        for seq: UInt64 in 1...3 {
            let path = fixture.segment(fixture.a, seq)
            let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
            // Every byte of the header and nonce, then every third: header, nonce, ciphertext and tag all covered.
            let offsets = Array(0..<min(size, 24)) + Array(stride(from: 24, to: size, by: 3)) + [size - 1]
            for offset in offsets {
                let reader = try fixture.freshCase { try flip(path, at: offset) }
                try await expectSegmentCaught(fixture, reader: reader, path: path, aApplied: Int(seq) - 1, "seq \(seq) byte \(offset)")
                cases += 1
            }
            for length in [0, 4, 6, 18, 33, size / 2, size - 16, size - 1] {
                let reader = try fixture.freshCase { try truncate(path, to: length) }
                try await expectSegmentCaught(fixture, reader: reader, path: path, aApplied: Int(seq) - 1, "seq \(seq) cut at \(length)")
                cases += 1
            }
        }
        #expect(cases > 100)
    }

    @Test func swappedAndCopiedSegmentsAreCaught() async throws {
        let fixture = try await Fixture()
        let first = fixture.segment(fixture.a, 1), second = fixture.segment(fixture.a, 2)
        let swapped = try fixture.freshCase {
            try FileManager.default.moveItem(atPath: first, toPath: first + ".x")
            try FileManager.default.moveItem(atPath: second, toPath: first)
            try FileManager.default.moveItem(atPath: first + ".x", toPath: second)
        }
        try await expectSegmentCaught(fixture, reader: swapped, path: first, aApplied: 0, "swapped names")

        // a's first segment copied into b's log as b's third.
        let intoB = fixture.segment(fixture.b, 3)
        let copied = try fixture.freshCase { try FileManager.default.copyItem(atPath: first, toPath: intoB) }
        try await expectSegmentCaught(fixture, reader: copied, path: intoB, aApplied: 3, "copied into another device's log")

        // b's second segment replaced by its first (a replay in place).
        let replayed = try fixture.freshCase {
            try FileManager.default.removeItem(atPath: fixture.segment(fixture.b, 2))
            try FileManager.default.copyItem(atPath: fixture.segment(fixture.b, 1), toPath: fixture.segment(fixture.b, 2))
        }
        try await expectSegmentCaught(fixture, reader: replayed, path: fixture.segment(fixture.b, 2), aApplied: 3, bApplied: 1, "replayed")
    }

    @Test func everyDamageToADeviceRecordIsReported() async throws {
        let fixture = try await Fixture()
        let path = fixture.world.vault.deviceRecordURL(fixture.a).path
        let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
        for offset in Array(stride(from: 0, to: size, by: 2)) + [size - 1] {
            _ = try fixture.freshCase { try flip(path, at: offset) }
            let result = fixture.world.vault.deviceRecords()
            // A flip in the JSON's white space or in base64 padding can leave
            // the same record; anything else must be reported.
            if !result.records.contains(where: { $0.id == fixture.a }) {
                #expect(result.problems.contains { $0.hasPrefix(path) }, "byte \(offset): \(result.problems)")
            }
            #expect(result.records.contains { $0.id == fixture.b })
        }
        // One device's record copied over another's does not open as that device's.
        _ = try fixture.freshCase {
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: fixture.world.vault.deviceRecordURL(fixture.b).path, toPath: path)
        }
        let result = fixture.world.vault.deviceRecords()
        #expect(!result.records.contains { $0.id == fixture.a })
        #expect(result.problems.contains { $0.hasPrefix(path) })
    }

    @Test func everyDamageToVaultJSONStopsTheSyncWithItsPathAndChangesNothing() async throws {
        let fixture = try await Fixture()
        let path = fixture.world.vault.descriptorURL.path
        let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
        var cases = 0
        for offset in Array(stride(from: 0, to: size, by: 5)) + [size - 2] {
            let reader = try fixture.freshCase { try flip(path, at: offset) }
            cases += try await expectStopped(reader, fixture, path: path, "byte \(offset)") ? 1 : 0
        }
        for length in [0, 1, size / 3, size / 2, size - 3] {
            let reader = try fixture.freshCase { try truncate(path, to: length) }
            cases += try await expectStopped(reader, fixture, path: path, "cut at \(length)") ? 1 : 0
        }
        #expect(cases > 50)
    }

    /// The sync throws an error naming vault.json (or the vault, for a
    /// changed id) and the reader's store holds nothing.
    private func expectStopped(_ reader: DeviceStore, _ fixture: Fixture, path: String, _ label: String) async throws -> Bool {
        do {
            let report = try await Synchronizer(device: Device(store: reader, key: fixture.world.vault.key), logger: TestWorld.quiet).sync(policies: .all(.accept))
            // Only a flip the JSON reader cannot see (a space turned into another
            // white space) may leave the file working.
            #expect(report.problems.isEmpty && report.changesPulled == 5, "\(label): the sync ran on a damaged vault.json")
            return false
        } catch {
            #expect(error.description.contains(path) || error.description.contains(fixture.world.vault.root.path), "\(label): \(error)")
            #expect(try reader.entryRows().isEmpty, "\(label)")
            #expect(try reader.cursors().isEmpty, "\(label)")
            return true
        }
    }

    /// Every byte of a pack (its object, its table of contents, its
    /// trailer), cuts, another pack under its name, and its loss: the object
    /// is never read, and the error names the pack (or, when it is gone, the
    /// object).
    @Test func everyDamagedPackIsCaughtWithItsPath() throws {
        let world = try TestWorld(encrypted: true)
        let vault = world.vault
        let content = Array("a chunk of an app's data folder".utf8)
        let writer = try vault.objects()
        let address = try writer.store(content).address
        #expect(try writer.store(content).written == 0)
        try writer.finish()
        #expect(address != Digest.hex(Digest.sha256(content)), "an outsider could confirm the content from its bare hash")
        #expect(try vault.objects().read(address) == content)
        let second = try vault.objects()
        let other = try second.store(Array("another chunk".utf8)).address
        try second.finish()
        let objects = try vault.objects()
        let path = try #require(objects.packURL(holding: address)).path
        let otherPath = try #require(objects.packURL(holding: other)).path
        #expect(path != otherPath)
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))

        func expectCaught(_ label: String, naming name: String? = nil, _ damage: () throws -> Void) throws {
            try pristine.write(to: URL(fileURLWithPath: path))
            try damage()
            do {
                _ = try vault.objects().read(address)
                Issue.record("\(label): a damaged object was read")
            } catch {
                #expect(error.description.contains(name ?? path), "\(label): \(error)")
            }
        }
        for offset in 0..<pristine.count {
            try expectCaught("byte \(offset)") { try flip(path, at: offset) }
        }
        for length in [0, 1, 13, pristine.count / 2, pristine.count - 1] {
            try expectCaught("cut at \(length)") { try truncate(path, to: length) }
        }
        try expectCaught("another pack's file under this name") {
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: otherPath, toPath: path)
        }
        try expectCaught("missing", naming: address) { try FileManager.default.removeItem(atPath: path) }
        #expect(throws: TandemError.self) { try vault.objects().read("../../vault.json") }
    }
}
