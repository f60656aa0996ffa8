import Foundation
import Testing
@testable import TandemCore

/// A version that changes nothing here is taken silently: a person is never
/// asked to review an "edit" whose before and after are the same.
@Suite struct SameValueTests {
    @Test func aResolutionThatTookThisDevicesValueIsNotOfferedBackAsAnEdit() async throws {
        let world = try await TestWorld.concurrentEdit()
        let phone = try world["phone"].info().id
        try world["laptop"].resolve(context: "friends", key: "alice", .takeRemote(device: phone))
        try await world.sync("laptop")
        try await world.sync("phone")
        #expect(try world.state("phone", "friends", "alice") == .inSync)
        #expect(try world["phone"].entries(states: [.incoming]).isEmpty)
        #expect(try world.value("phone", "friends", "alice") == #"{"age":32}"#)
        // The taken version supersedes phone's own: phone's next write builds on it.
        try world.put("phone", "friends", "alice", #"{"age":33}"#)
        try await world.sync("phone")
        try await world.sync("laptop")
        #expect(try world.state("laptop", "friends", "alice") == .incoming)
    }
}

/// A decision names the version it was shown: one that arrived meanwhile is
/// left for review, and nothing changes.
@Suite struct ShownDecisionTests {
    @Test func aChangeThatMovedSinceItWasShownIsNotDecided() async throws {
        let world = try await TestWorld.incomingEdit()
        let shown = try #require(try world["b"].entries(states: [.incoming]).first?.unseen.first)
        let seen = ShownVersion(origin: shown.origin, wallMillis: shown.timestamp.wallMillis)
        world.clocks["a"]!.advance(5_000)
        try world.put("a", "c", "k", "3")
        try await world.sync("a")
        try await world.sync("b")
        #expect(throws: TandemError.changedSince(context: "c", key: "k")) {
            try world["b"].decide(.accept, context: "c", key: "k", shown: seen)
        }
        #expect(try world.state("b", "c", "k") == .incoming)
        #expect(try world.value("b", "c", "k") == "1")
        let now = try #require(try world["b"].entries(states: [.incoming]).first?.unseen.first)
        try world["b"].decide(.accept, context: "c", key: "k", shown: ShownVersion(origin: now.origin, wallMillis: now.timestamp.wallMillis))
        #expect(try world.value("b", "c", "k") == "3")
    }
}
