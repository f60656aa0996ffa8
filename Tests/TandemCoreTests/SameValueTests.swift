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
