import Foundation
import Testing
@testable import TandemCore

@Suite struct EntryRowTests {
    /// A laptop store holding an entry in every state, and a deletion.
    private func everyState() async throws -> TestWorld {
        let world = try TestWorld(devices: ["laptop", "phone"])
        for key in ["alice", "bob", "carol", "dave", "erin"] {
            try world.put("laptop", "friends", key, #"{"name":"\#(key)"}"#)
        }
        try await world.sync("laptop")
        try await world.sync("phone", .accept)
        try world.put("phone", "friends", "bob", #"{"name":"Bob","age":31}"#)      // incoming edit
        try world.put("phone", "friends", "zed", #"{"name":"Zed"}"#)               // incoming insert
        try world["phone"].write(context: "friends", key: "carol", value: nil)      // incoming deletion
        try world.put("phone", "friends", "dave", #"{"x":2}"#)                      // conflict with…
        try world.put("laptop", "friends", "dave", #"{"x":1}"#)                     // …this
        try await world.sync("phone")
        try await world.sync("laptop")
        try world.put("phone", "friends", "erin", #"{"refused":true}"#)
        try await world.sync("phone")
        try await world.sync("laptop")
        try world["laptop"].decide(.refuse, context: "friends", key: "erin")
        try world.put("laptop", "settings", "theme", #""dark""#)                    // outgoing
        return world
    }

    @Test func rowsSayWhatTheFullStatusesSay() async throws {
        let world = try await everyState()
        let store = world["laptop"]
        let rows = try store.entryRows()
        let expected = try store.entries().map(EntryRow.init)
        #expect(rows == expected)
        #expect(Set(rows.map(\.state)) == Set(EntryState.allCases).subtracting([.needsNewerApp]))
        let kinds = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.kind) })
        #expect(kinds["bob"] == .edit)
        #expect(kinds["zed"] == .insert)
        #expect(kinds["carol"] == .deletion)
        #expect(kinds["alice"] == .some(nil))
        #expect(rows.first { $0.key == "bob" }?.preview == #"{"age":31,"name":"Bob"}"#, "an incoming row previews the incoming value")
        #expect(StateCounts(rows: rows, waitingToPush: try store.outboxCount()) == (try store.counts()))
        try store.setPolicy(.accept, for: "empty")
        #expect(ContextSummary.summaries(of: rows, policies: try store.policies(), schemas: try store.schemaVersions()) == (try store.contexts()))
        #expect(try store.contexts().first { $0.name == "friends" }?.entriesBySchema == [1: 5], "alice, bob, carol, dave, erin live here")
    }

    @Test func aLongValueIsShortenedInTheRowOnly() throws {
        let world = try TestWorld(devices: ["laptop"])
        let long = "\"" + String(repeating: "é", count: 500) + "\""
        try world["laptop"].write(context: "notes", key: "long", value: long)
        let row = try #require(try world["laptop"].entryRows().first)
        #expect(row.preview?.count == EntryRow.previewLength)
        #expect(try world["laptop"].entry(context: "notes", key: "long")?.value == long)
    }
}
