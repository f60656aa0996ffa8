import Testing
@testable import TandemCore

/// A write not pushed yet must reach the vault, or be superseded by a
/// version that saw it, whatever the local view did meanwhile.
@Suite struct UnpushedWriteTests {
    @Test func aNewWriteAfterAHandlerTookAnotherVersionStillCoversTheUnpushedOne() async throws {
        let world = try TestWorld(devices: ["laptop", "phone", "tablet"])
        // laptop has seen tablet's version when it writes; phone has not.
        try world.put("tablet", "friends", "alice", "1")
        try await world.sync("tablet")
        try await world.sync("laptop", .accept)
        guard case .written(let unpushed) = try world["laptop"].write(context: "friends", key: "alice", value: "2") else {
            Issue.record("no version written")
            return
        }
        world.clocks["phone"]!.advance(60_000)
        try world.put("phone", "friends", "alice", "3")
        try world.put("phone", "friends", "bob", "1")
        try await world.sync("phone")
        // laptop's handler takes phone's winning version of alice; bob's
        // fails, so this sync pushes nothing.
        let recorder = HandlerRecorder()
        recorder.answer("bob", with: .failure("not now"))
        let report = try await world.sync("laptop", handlers: ["friends": recorder.handlers])
        #expect(report.stoppedAt?.key == "bob")
        #expect(try world.value("laptop", "friends", "alice") == "3")
        try world.put("laptop", "friends", "alice", "4")
        try await world.sync("laptop")
        try await world.sync("tablet", .accept)
        let vault = try #require(try world["tablet"].entry(context: "friends", key: "alice")).vault
        #expect(vault.contains { $0.vector.includes(unpushed.vector) })
        #expect(try world.value("tablet", "friends", "alice") == "4")
    }
}
