import Foundation
import Testing
@testable import TandemCore

/// The stories the original helper told, on real stores and a real vault folder.
@Suite struct HelperStoriesTests {
    @Test func aReinstalledDeviceGetsEveryEntryAsAnInsert() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        for index in 0..<5 { try world.put("phone", "friends", "f\(index)", "{\"n\":\(index)}") }
        try await world.sync("phone")
        let handlers = HandlerRecorder()
        try await world.sync("laptop", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.count == 5)
        #expect(try world.data("laptop").count == 5)

        try world["laptop"].wipeLocalContext("friends")
        #expect(try world.data("laptop").isEmpty)
        handlers.reset()
        let report = try await world.sync("laptop", handlers: ["friends": handlers.handlers])
        #expect(report.applied == 5)
        #expect(handlers.calls.map(\.kind) == Array(repeating: .insert, count: 5))
        #expect(try world.data("laptop") == (try world.data("phone")))
    }

    @Test func anEditOnBReachesAAsAModification() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "friends", "alice", #"{"age":30}"#)
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.put("b", "friends", "alice", #"{"age":31}"#)
        try await world.sync("b")
        let handlers = HandlerRecorder()
        try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.count == 1)
        #expect(handlers.calls.first?.kind == .edit)
        #expect(handlers.calls.first?.value == #"{"age":31}"#)
        #expect(try world.value("a", "friends", "alice") == #"{"age":31}"#)
        #expect(try world.state("a", "friends", "alice") == .inSync)
    }

    @Test func aDeletionOnBReachesAAsADeletion() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "friends", "bob", #"{"age":40}"#)
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.remove("b", "friends", "bob")
        try await world.sync("b")
        let handlers = HandlerRecorder()
        try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.map(\.kind) == [.deletion])
        #expect(try world.value("a", "friends", "bob") == nil)
        #expect(try world.state("a", "friends", "bob") == .inSync)
    }

    @Test func aFailingHandlerStopsTheSyncAndTheNextSyncRetriesItFirst() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        for key in ["k1", "k2", "k3"] { try world.put("b", "friends", key, "1") }
        try await world.sync("b")
        let handlers = HandlerRecorder()
        handlers.answer("k2", with: .failure("disk full"))
        let first = try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(first.stoppedAt?.key == "k2")
        #expect(first.stoppedAt?.reason == "disk full")
        #expect(handlers.calls.map(\.key) == ["k1", "k2"])
        #expect(try world.state("a", "friends", "k3") == .incoming)

        handlers.reset()
        handlers.answer("k2", with: .applied)
        handlers.throwFor("k3")
        let second = try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.map(\.key) == ["k2", "k3"])
        #expect(second.stoppedAt?.key == "k3")

        handlers.reset()
        handlers.throwFor("k3", false)
        let third = try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.map(\.key) == ["k3"])
        #expect(third.isClean)
        #expect(try world.data("a").count == 3)
    }

    @Test func aRefusedChangeIsNotAskedAgain() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("b", "friends", "carol", "1")
        try await world.sync("b")
        let handlers = HandlerRecorder()
        handlers.answer("carol", with: .refused)
        let first = try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(first.refused == 1)
        #expect(try world.state("a", "friends", "carol") == .refused)
        #expect(try world.value("a", "friends", "carol") == nil)
        handlers.reset()
        try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.isEmpty)
        // A newer edit on b is a new question.
        try world.put("b", "friends", "carol", "2")
        try await world.sync("b")
        try await world.sync("a", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.map(\.value) == ["2"])
    }

    @Test func aWriteMadeWhileOfflineIsPushedOnTheNextSync() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.takeVaultOffline()
        try world.put("a", "friends", "dave", #"{"x":1}"#)
        let offline = try await world.sync("a")
        #expect(!offline.online)
        #expect(offline.waitingToPush == 1)
        #expect(try world.state("a", "friends", "dave") == .outgoing)
        try world.bringVaultBack()
        let online = try await world.sync("a")
        #expect(online.changesPushed == 1)
        #expect(online.waitingToPush == 0)
        try await world.sync("b", .accept)
        #expect(try world.value("b", "friends", "dave") == #"{"x":1}"#)
    }

    @Test func upsertWritesAtOnceAndCoalescesSyncs() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        let device = TandemDevice(store: world["a"], coalescingDelay: .milliseconds(100))
        for index in 0..<20 { try await device.upsert("notes", key: "n\(index)", value: "\(index)") }
        try await device.delete("notes", key: "n0")
        try await device.delete("notes", key: "never-written")
        #expect(try world.value("a", "notes", "n5") == "5")
        await device.waitUntilIdle()
        let pushed = try world["a"].info().pushedSeq
        #expect(pushed == 1)
        try await world.sync("b", .accept)
        #expect(try world.data("b").count == 19)
    }

    @Test func anIdenticalWriteCreatesNoNewVersion() throws {
        let world = try TestWorld(devices: ["a"])
        let first = try world["a"].write(context: "c", key: "k", value: #"{"a":1,"b":2}"#)
        let second = try world["a"].write(context: "c", key: "k", value: #"{ "b": 2, "a": 1 }"#)
        guard case .written = first else { Issue.record("first write made no version"); return }
        #expect(second == .unchanged)
        #expect(try world["a"].outbox().count == 1)
    }
}
