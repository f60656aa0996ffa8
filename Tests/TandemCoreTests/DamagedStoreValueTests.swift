import Foundation
import GRDB
import Testing
@testable import TandemCore

/// A number or hex value in a store's `meta` that another program damaged
/// is reported as damage, naming the value, and nothing is written: it was
/// once read as zero and surfaced later as a broken chain of segments.
@Suite struct DamagedStoreValueTests {
    func damage(_ store: DeviceStore, _ key: String, to value: String) throws {
        let queue = try DatabaseQueue(path: store.path)
        try queue.write { db in try db.execute(sql: "UPDATE meta SET value = ? WHERE key = ?", arguments: [value, key]) }
        try queue.close()
    }

    @Test(arguments: [("pushed_seq", "seven"), ("pushed_hash", "zz12"), ("created", "yesterday")])
    func aDamagedIdentityValueStopsEveryUse(key: String, value: String) throws {
        let world = try TestWorld(devices: ["laptop"])
        try world.put("laptop", "c", "k", "1")
        try damage(world["laptop"], key, to: value)
        #expect {
            try world["laptop"].info()
        } throws: { error in
            guard case TandemError.storeCorrupt(_, let reason) = error else { return false }
            return reason.contains("meta \(key)") && reason.contains(value)
        }
    }

    @Test func aDamagedClockStopsAWriteAndWritesNothing() throws {
        let world = try TestWorld(devices: ["laptop"])
        try world.put("laptop", "c", "k", "1")
        try damage(world["laptop"], "clock_wall", to: "12x")
        #expect(throws: TandemError.self) { try world.put("laptop", "c", "k", "2") }
        #expect(try world.value("laptop", "c", "k") == "1")
    }

    @Test func hexThatIsNotHexIsNoBytes() {
        #expect(Digest.bytes(fromHex: "0aff") == [0x0A, 0xFF])
        #expect(Digest.bytes(fromHex: "0g") == nil)
        #expect(Digest.bytes(fromHex: "abc") == nil)
        #expect(Digest.bytes(fromHex: "") == [])
    }
}

/// The store's shipped migrations are frozen text; the queries that must use
/// their partial indexes repeat the indexes' conditions word for word.
@Suite struct FrozenSchemaTests {
    @Test func theQueriesTermsAreTheIndexesConditions() throws {
        let world = try TestWorld(devices: ["laptop"])
        let queue = try DatabaseQueue(path: world["laptop"].path)
        defer { try? queue.close() }
        let definitions = try queue.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                .map { ($0[0] as String, $0[1] as String) })
        }
        #expect(definitions["entry_waiting"]?.hasSuffix("WHERE \(EntryRecord.waitingTerm)") == true, "\(definitions)")
        #expect(definitions["entry_unsettled"]?.hasSuffix("WHERE \(EntryRecord.unsettledTerm)") == true, "\(definitions)")
    }

    @Test func anEntryReadsBackThroughItsNamedColumns() throws {
        let world = try TestWorld(devices: ["laptop"])
        try world.put("laptop", "c", "k", #"{"a":1}"#)
        #expect(EntryRecord.columns.hasPrefix("id, context, key, local_kind, local_value"))
        #expect(try world["laptop"].entry(context: "c", key: "k")?.value == #"{"a":1}"#)
    }
}
