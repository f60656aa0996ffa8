import Foundation
import Testing
@testable import TandemCore

/// Typed handlers (`Change<Friend>`) and the stream of committed changes an
/// app's screen listens to instead of polling.
@Suite struct ChangeStreamTests {
    struct Friend: Codable, Equatable, Sendable {
        var name: String
        var age: Int
    }

    /// What the handlers were given, in order.
    actor Received {
        var changes: [(kind: String, key: String, value: Friend?, previous: Friend?)] = []
        func add(_ kind: String, _ change: Change<Friend>) { changes.append((kind, change.key, change.value, change.previousValue)) }
    }

    @Test func typedHandlersGetTheAppsOwnTypeAndAValueThatDoesNotDecodeStopsTheSync() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        let laptop = TandemDevice(store: world["laptop"], coalescingDelay: .seconds(60), logger: TestWorld.quiet)
        let phone = TandemDevice(store: world["phone"], coalescingDelay: .seconds(60), logger: TestWorld.quiet)
        let received = Received()
        try await phone.addSyncContext("friends",
            onInsert: { (change: Change<Friend>) in await received.add("insert", change); return .applied },
            onModify: { change in await received.add("edit", change); return .applied },
            onDelete: { change in await received.add("delete", change); return .applied })

        let alice = Friend(name: "Alice", age: 30), older = Friend(name: "Alice", age: 31)
        try await laptop.upsert("friends", key: "alice", value: alice)
        _ = try await laptop.sync()
        _ = try await phone.sync()
        try await laptop.upsert("friends", key: "alice", value: older)
        _ = try await laptop.sync()
        _ = try await phone.sync()
        try await laptop.delete("friends", key: "alice")
        _ = try await laptop.sync()
        _ = try await phone.sync()
        let seen = await received.changes
        #expect(seen.map(\.kind) == ["insert", "edit", "delete"])
        #expect(seen.map(\.key) == ["alice", "alice", "alice"])
        #expect(seen.map(\.value) == [alice, older, nil])
        #expect(seen.map(\.previous) == [nil, alice, older])

        // A value of another shape is a handler failure that names the entry; nothing is applied.
        try await laptop.upsert("friends", key: "bob", value: #"[1, 2]"#)
        _ = try await laptop.sync()
        let report = try await phone.sync()
        #expect(report.stoppedAt?.key == "bob")
        #expect(report.stoppedAt?.reason.contains("friends/bob does not decode as Friend") == true, "\(String(describing: report.stoppedAt))")
        #expect(await received.changes.count == 3)
        #expect(try await phone.entry("friends", key: "bob")?.value == nil)
    }

    @Test func aWriteADecisionAndARemoteChangeEachArriveOnceWithWhatThenWaits() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        let laptop = TandemDevice(store: world["laptop"], coalescingDelay: .seconds(60), logger: TestWorld.quiet)
        var changes = laptop.changes().makeAsyncIterator()

        // A local write: one change, naming the entry, with one change to push.
        try await laptop.upsert("friends", key: "alice", value: Friend(name: "Alice", age: 30))
        let written = try #require(await changes.next())
        #expect(written.entries == [EntryName(context: "friends", key: "alice")])
        #expect(written.waiting.waitingToPush == 1)

        // A remote insert reaches laptop in its sync, and waits there for review.
        try world["phone"].write(context: "friends", key: "bob", value: #"{"name":"Bob","age":40}"#)
        _ = try await world.sync("phone")
        _ = try await laptop.sync()
        var duringSync: [EntryChanges] = []
        // The sync's last step is seen by a marker written after it.
        try await laptop.upsert("marks", key: "after-sync", value: #"{}"#)
        while let change = await changes.next() {
            if change.entries.contains(EntryName(context: "marks", key: "after-sync")) { break }
            duringSync.append(change)
        }
        let bob = EntryName(context: "friends", key: "bob")
        #expect(duringSync.filter { $0.entries.contains(bob) }.count == 1, "\(duringSync)")
        #expect(duringSync.last?.waiting.incoming == 1)

        // The decision: one change, and nothing waits for review after it.
        _ = try world["laptop"].decide(.accept, context: "friends", key: "bob")
        let decided = try #require(await changes.next())
        #expect(decided.entries == [bob])
        #expect(decided.waiting.incoming == 0)

        // Undo is a change too.
        _ = try world.device("laptop").undoLastDecision()
        let undone = try #require(await changes.next())
        #expect(undone.entries == [bob])
        #expect(undone.waiting.incoming == 1)

        // A write that changes nothing sends nothing; nor does a batch that wrote
        // one entry and then failed (an entry a newer app wrote), and rolled back.
        try await laptop.upsert("friends", key: "alice", value: Friend(name: "Alice", age: 30))
        try world["phone"].registerMigration(context: "friends", SchemaStep(from: 1, to: 2) { $0 })
        try world["phone"].migrateContext("friends", to: 2)
        try world["phone"].write(context: "friends", key: "newer", value: #"{"name":"N","age":1}"#)
        _ = try await world.sync("phone")
        _ = try await world.sync("laptop", .accept)
        var beforeBatch: [EntryChanges] = []
        try await laptop.upsert("marks", key: "before-batch", value: #"{}"#)
        while let change = await changes.next() {
            if change.entries.contains(EntryName(context: "marks", key: "before-batch")) { break }
            beforeBatch.append(change)
        }
        #expect(try world["laptop"].entry(context: "friends", key: "newer")?.needsNewerApp == true)
        #expect(throws: TandemError.self) {
            try world["laptop"].write([DeviceStore.BatchWrite(context: "friends", key: "zed", value: #"{"name":"Zed","age":2}"#),
                                       DeviceStore.BatchWrite(context: "friends", key: "newer", value: #"{"name":"M","age":3}"#)])
        }
        #expect(try world["laptop"].entry(context: "friends", key: "zed") == nil, "the batch was not rolled back")
        try await laptop.upsert("marks", key: "end", value: #"{}"#)
        #expect(try #require(await changes.next()).entries == [EntryName(context: "marks", key: "end")])

        // Closing the store ends the stream.
        try world["laptop"].close()
        #expect(await changes.next() == nil)
    }
}
