import Foundation
import Testing
@testable import TandemCore

@Suite struct ConflictTests {
    private func concurrentEdit() async throws -> TestWorld {
        try await TestWorld.concurrentEdit()
    }

    @Test func concurrentEditsAreDetectedOnBothWithTheSameWinner() async throws {
        let world = try await concurrentEdit()
        let onLaptop = try #require(try world["laptop"].entry(context: "friends", key: "alice"))
        let onPhone = try #require(try world["phone"].entry(context: "friends", key: "alice"))
        #expect(onLaptop.state == .conflict)
        #expect(onPhone.state == .conflict)
        #expect(onLaptop.vault.first == onPhone.vault.first)
        #expect(Set(onLaptop.vault) == Set(onPhone.vault))
        #expect(onLaptop.vault.count == 2)
    }

    @Test func acceptTakesTheSameWinnerEverywhereAndKeepsTheConflictListed() async throws {
        let world = try await concurrentEdit()
        try await world.sync("laptop", .accept)
        try await world.sync("phone", .accept)
        #expect(try world.value("laptop", "friends", "alice") == (try world.value("phone", "friends", "alice")))
        #expect(try world.state("laptop", "friends", "alice") == .conflict)
        #expect(try world.state("phone", "friends", "alice") == .conflict)
    }

    @Test func aResolutionOnOneReachesTheOtherAsAnEditThatClearsTheConflict() async throws {
        let world = try await concurrentEdit()
        try world["laptop"].resolve(context: "friends", key: "alice", .merge(value: #"{"age":33}"#))
        try await world.sync("laptop")
        #expect(try world.state("laptop", "friends", "alice") == .inSync)
        try await world.sync("phone")
        let onPhone = try #require(try world["phone"].entry(context: "friends", key: "alice"))
        #expect(onPhone.state == .incoming)
        #expect(onPhone.incomingKind == .edit)
        try world["phone"].decide(.accept, context: "friends", key: "alice")
        #expect(try world.state("phone", "friends", "alice") == .inSync)
        #expect(try world.value("phone", "friends", "alice") == #"{"age":33}"#)
    }

    @Test(arguments: [Resolution.keepLocal, .takeRemote(device: nil)])
    func keepLocalAndTakeRemotePublishOneDominatingVersion(_ resolution: Resolution) async throws {
        let world = try await concurrentEdit()
        let before = try #require(try world["laptop"].entry(context: "friends", key: "alice"))
        let expected = resolution == .keepLocal ? before.local?.value : before.unseen.first?.value
        try world["laptop"].resolve(context: "friends", key: "alice", resolution)
        try await world.sync("laptop")
        try await world.sync("phone", .accept)
        #expect(try world.value("phone", "friends", "alice") == expected)
        #expect(try world.state("phone", "friends", "alice") == .inSync)
        #expect(try world.state("laptop", "friends", "alice") == .inSync)
    }

    @Test func sameChangeOnTwoDevicesIsNotAConflict() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "s", "theme", #""dark""#)
        try world.put("b", "s", "theme", #""dark""#)
        try await world.sync("a")
        try await world.sync("b")
        try await world.sync("a")
        #expect(try world.state("a", "s", "theme") == .inSync)
        #expect(try world.state("b", "s", "theme") == .inSync)
    }

    @Test func liveBeatsAConcurrentDeletion() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "c", "k", "1")
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.remove("a", "c", "k")
        world.clocks["b"]!.advance(-10_000)
        try world.put("b", "c", "k", "2")
        try await world.sync("a")
        try await world.sync("b", .accept)
        try await world.sync("a", .accept)
        #expect(try world.value("a", "c", "k") == "2")
        #expect(try world.value("b", "c", "k") == "2")
    }

    @Test func writingOverAnUndecidedIncomingChangeMakesAConflictNotASilentLoss() async throws {
        let world = try await TestWorld.incomingEdit()
        #expect(try world.state("b", "c", "k") == .incoming)
        try world.put("b", "c", "k", "3")
        #expect(try world.state("b", "c", "k") == .conflict)
    }

    @Test func keepMinePublishesAVersionThatSupersedesTheVaults() async throws {
        let world = try await TestWorld.incomingEdit()
        try world["b"].decide(.keepMine, context: "c", key: "k")
        #expect(try world.state("b", "c", "k") == .outgoing)
        try await world.sync("b")
        try await world.sync("a", .accept)
        #expect(try world.value("a", "c", "k") == "1")
        #expect(try world.state("a", "c", "k") == .inSync)
    }
}
