import Foundation
import Testing
@testable import TandemCore

/// `Codable` values through TandemDevice: the same canonical JSON the string
/// API stores, read back as the type, across devices.
@Suite struct CodableAPITests {
    struct Friend: Codable, Equatable {
        var name: String
        var age: Int
        var tags: [String]
    }

    @Test func aCodableValueIsStoredAsCanonicalJSONAndReadBackOnAnotherDevice() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        let laptop = TandemDevice(store: world["laptop"], coalescingDelay: .seconds(60))
        let alice = Friend(name: "Alice", age: 30, tags: ["school", "a/b"])
        #expect(try await laptop.upsert("friends", key: "alice", value: alice) != .unchanged)
        #expect(try world.value("laptop", "friends", "alice") == #"{"age":30,"name":"Alice","tags":["school","a/b"]}"#)
        #expect(try await laptop.upsert("friends", key: "alice", value: alice) == .unchanged, "the same value made a version")
        #expect(try await laptop.entry("friends", key: "alice", as: Friend.self) == alice)
        _ = try await laptop.sync()
        try await world.sync("phone", .accept)
        let phone = TandemDevice(store: world["phone"], coalescingDelay: .seconds(60))
        #expect(try await phone.entry("friends", key: "alice", as: Friend.self) == alice)
        #expect(try await phone.entry("friends", key: "nobody", as: Friend.self) == nil)
        // The string API and the typed one write the same bytes.
        try await phone.upsert("friends", key: "bob", value: #"{"tags":[],"name":"Bob","age":40}"#)
        #expect(try await phone.entry("friends", key: "bob", as: Friend.self) == Friend(name: "Bob", age: 40, tags: []))
        await #expect(throws: TandemError.self) { try await phone.entry("friends", key: "bob", as: [Int].self) }
    }
}
