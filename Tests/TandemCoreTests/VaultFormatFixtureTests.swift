import Foundation
import Testing
@testable import TandemCore

/// A small vault of format 1, checked in: if the format changes by accident,
/// these bytes stop decoding to the same values, or stop re-encoding to the
/// same bytes.
@Suite struct VaultFormatFixtureTests {
    static let laptop = DeviceID(validating: "1a2b3c4d5e6f7081")!
    static let phone = DeviceID(validating: "f0e1d2c3b4a59687")!
    static let t0: Int64 = 1_795_000_000_000

    var fixture: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/vault-format-1")
    }

    static let expectedSegments: [(DeviceID, UInt64, String, Segment)] = [
        (laptop, 1, "e837b5d5ed45f2e0624e8c40b08e0feb983beba8b92c7baae81d5b8da4a14a7b", Segment(
            device: laptop, seq: 1, previousHash: Segment.noPreviousHash, created: HLCTimestamp(wallMillis: t0 + 10), changes: [
                LoggedChange(context: "friends", key: "alice", version: EntryVersion(value: #"{"age":30,"name":"Alice"}"#, vector: [laptop: 1], timestamp: HLCTimestamp(wallMillis: t0), origin: laptop)),
                LoggedChange(context: "friends", key: "bob", version: EntryVersion(value: #"{"age":41,"name":"Bob"}"#, vector: [laptop: 2], timestamp: HLCTimestamp(wallMillis: t0, counter: 1), origin: laptop)),
            ])),
        (laptop, 2, "499d8f037c18c426831082c38a9f10d1b40cf2f6c01d192579b9dc4eb496ac14", Segment(
            device: laptop, seq: 2, previousHash: Digest.bytes(fromHex: "e837b5d5ed45f2e0624e8c40b08e0feb983beba8b92c7baae81d5b8da4a14a7b")!,
            created: HLCTimestamp(wallMillis: t0 + 5000), changes: [
                LoggedChange(context: "friends", key: "bob", version: EntryVersion(value: nil, vector: [laptop: 3], timestamp: HLCTimestamp(wallMillis: t0 + 4000), origin: laptop)),
            ])),
        (phone, 1, "08ad4c0caa92dfe87c33c3b4eaebfe6bcc8844c5312ca7aa4eff108a2acc35ab", Segment(
            device: phone, seq: 1, previousHash: Segment.noPreviousHash, created: HLCTimestamp(wallMillis: t0 + 9000, counter: 2), changes: [
                LoggedChange(context: "friends", key: "alice", version: EntryVersion(value: #"{"age":31,"name":"Alice"}"#, vector: [laptop: 1, phone: 1], timestamp: HLCTimestamp(wallMillis: t0 + 8000), origin: phone, schema: 2)),
                LoggedChange(context: "settings", key: "theme ✓", version: EntryVersion(value: #""dark""#, vector: [phone: 2], timestamp: HLCTimestamp(wallMillis: t0 + 8000, counter: 1), origin: phone)),
            ])),
    ]

    @Test func theDescriptorDecodes() throws {
        let descriptor = try Vault(root: fixture).readDescriptor()
        #expect(descriptor == VaultDescriptor(format: 1, id: "5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5", owner: "alice@example.com",
                                              created: "2026-11-24T00:00:00Z", sealing: "plain"))
    }

    @Test func everySegmentDecodesToTheSameValuesAndReencodesToTheSameBytes() throws {
        let vault = Vault(root: fixture)
        for (device, seq, hash, expected) in Self.expectedSegments {
            let bytes = try Data(contentsOf: vault.segmentURL(device: device, seq: seq))
            #expect(Digest.hex(Digest.sha256(Array(bytes))) == hash)
            let read = try #require(try vault.readSegment(device: device, seq: seq))
            #expect(read.segment == expected)
            #expect(try vault.codec.encode(expected, format: 1) == Array(bytes))
        }
    }

    @Test func theDeviceRecordsDecode() throws {
        let records = Vault(root: fixture).deviceRecords()
        #expect(records.problems.isEmpty)
        #expect(records.records.map(\.name) == ["laptop", "phone"])
        var expected = DeviceRecord(id: Self.phone, name: "phone", created: "2026-11-24T00:00:02Z",
                                    lastSyncMillis: Self.t0 + 9000, pushedSeq: 1, applied: [Self.laptop.rawValue: 2])
        expected.format = 1
        #expect(records.records.last == expected)
    }

    /// A fresh device on a copy of the fixture (the folder lives as long as the store is used).
    func freshDevice() throws -> (TemporaryFolder, DeviceStore) {
        let folder = TemporaryFolder()
        let copy = folder.url.appendingPathComponent("vault")
        try FileManager.default.copyItem(at: fixture, to: copy)
        let vault = Vault(root: copy)
        let store = try DeviceStore.create(at: folder.path("store.sqlite"), name: "tablet", vault: vault, descriptor: try vault.readDescriptor())
        return (folder, store)
    }

    @Test func aFreshDeviceRestoresTheFixture() async throws {
        let (folder, store) = try freshDevice()
        defer { withExtendedLifetime(folder) {} }
        // The fixture holds an entry of schema 2 of friends: a device that knows it.
        try store.migrateContext("friends", to: 2)
        let report = try await Synchronizer(device: Device(store: store)).sync(policies: .all(.accept))
        #expect(report.segmentsPulled == 3)
        #expect(report.problems.isEmpty)
        #expect(try store.entry(context: "friends", key: "alice")?.value == #"{"age":31,"name":"Alice"}"#)
        #expect(try store.entry(context: "friends", key: "alice")?.local?.schema == 2)
        #expect(try store.entry(context: "friends", key: "bob")?.value == nil)
        #expect(try store.entry(context: "settings", key: "theme ✓")?.value == #""dark""#)
    }

    @Test func aDeviceAtSchemaOneKeepsTheFixturesSchemaTwoEntryUntouched() async throws {
        let (folder, store) = try freshDevice()
        defer { withExtendedLifetime(folder) {} }
        _ = try await Synchronizer(device: Device(store: store)).sync(policies: .all(.accept))
        let alice = try #require(try store.entry(context: "friends", key: "alice"))
        #expect(alice.state == .needsNewerApp)
        #expect(alice.newerSchema == 2)
        // laptop's schema-1 version came first and was applied; phone's
        // schema-2 edit waits for a newer app.
        #expect(alice.value == #"{"age":30,"name":"Alice"}"#)
        #expect(alice.local?.schema == 1)
        #expect(alice.vault.first?.value == #"{"age":31,"name":"Alice"}"#)
        #expect(try store.entry(context: "settings", key: "theme ✓")?.value == #""dark""#)
    }
}
