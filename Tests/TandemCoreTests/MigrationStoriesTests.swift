import Foundation
import Testing
@testable import TandemCore

/// The schema of the `friends` context in these stories: 2 renames `name`
/// to `fullName`, 3 adds `tags`.
enum FriendsSchema {
    static let steps = [
        SchemaStep(from: 1, to: 2, source: "test") { try FieldOperation.rename(from: "/name", to: "/fullName").apply(to: $0) },
        SchemaStep(from: 2, to: 3, source: "test") { try FieldOperation.setDefault(path: "/tags", value: .array([])).apply(to: $0) },
    ]

    /// What the app at `version` registers and declares on start.
    @discardableResult
    static func upgrade(_ store: DeviceStore, to version: Int) throws -> MigrationReport {
        for step in steps where step.to <= version { try store.registerMigration(context: "friends", step) }
        return try store.migrateContext("friends", to: version)
    }
}

@Suite struct MigrationStoriesTests {
    /// Every live entry of a device: key → (value, schema).
    func entries(_ world: TestWorld, _ name: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for entry in try world[name].entries(context: "friends") {
            if let local = entry.local, let value = local.value { result[entry.key] = "\(local.schema) \(value)" }
        }
        return result
    }

    @Test func threeDevicesUpgradeAtDifferentTimesAndConvergeWithoutConflicts() async throws {
        let world = try TestWorld(devices: ["a", "b", "c"])
        try world.put("a", "friends", "alice", #"{"name":"Alice"}"#)
        try world.put("b", "friends", "bob", #"{"name":"Bob"}"#)
        try world.put("c", "friends", "carol", #"{"name":"Carol","age":3}"#)
        for name in ["a", "b", "c", "a", "b"] { try await world.sync(name, .accept) }

        // a upgrades: its local entries move to schema 2 and are published.
        let report = try FriendsSchema.upgrade(world["a"], to: 2)
        #expect(report.migrated.map(\.outcome) == [.published, .published, .published])
        #expect(try await world.sync("a", .accept).changesPushed == 3)

        // b and c, still at 1, keep the schema-2 versions untouched.
        for name in ["b", "c"] {
            try await world.sync(name, .accept)
            let alice = try #require(try world[name].entry(context: "friends", key: "alice"))
            #expect(alice.state == .needsNewerApp)
            #expect(alice.value == #"{"name":"Alice"}"#)
            #expect(alice.local?.schema == 1)
            #expect(try world[name].counts().needsNewerApp == 3)
        }
        #expect(throws: TandemError.needsNewerApp(context: "friends", key: "bob", schema: 2, known: 1)) {
            try world.put("b", "friends", "bob", #"{"name":"Robert"}"#)
        }
        #expect(throws: TandemError.self) { try world["c"].decide(.accept, context: "friends", key: "carol") }

        // After they upgrade, they take a's versions instead of making rivals.
        for name in ["b", "c"] {
            let report = try FriendsSchema.upgrade(world[name], to: 2)
            #expect(report.migrated.map(\.outcome) == [.tookVaultVersion, .tookVaultVersion, .tookVaultVersion])
            #expect(try await world.sync(name, .accept).changesPushed == 0)
        }
        for name in ["a", "b", "c"] { try await world.sync(name, .accept) }
        let expected = ["alice": #"2 {"fullName":"Alice"}"#, "bob": #"2 {"fullName":"Bob"}"#, "carol": #"2 {"age":3,"fullName":"Carol"}"#]
        for name in ["a", "b", "c"] {
            #expect(try entries(world, name) == expected)
            let counts = try world[name].counts()
            #expect(counts.inSync == 3 && counts.conflicts == 0 && counts.needsNewerApp == 0 && counts.waitingToPush == 0)
        }
    }

    @Test func twoDevicesMigratingTheSameEntriesAtOnceMakeNoConflict() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "friends", "alice", #"{"name":"Alice"}"#)
        try await world.sync("a", .accept)
        try await world.sync("b", .accept)
        // Both migrate before either has seen the other's migration.
        #expect(try FriendsSchema.upgrade(world["a"], to: 2).migrated.map(\.outcome) == [.published])
        #expect(try FriendsSchema.upgrade(world["b"], to: 2).migrated.map(\.outcome) == [.published])
        for name in ["a", "b", "a", "b"] { try await world.sync(name) }
        for name in ["a", "b"] {
            let alice = try #require(try world[name].entry(context: "friends", key: "alice"))
            #expect(alice.state == .inSync)
            #expect(alice.value == #"{"fullName":"Alice"}"#)
            #expect(try world[name].counts().conflicts == 0)
        }
    }

    @Test func aFreshDeviceAtSchemaThreeRestoresEntriesOfSchemaOneAndTwo() async throws {
        let world = try TestWorld(devices: ["old", "newer"])
        try world.put("old", "friends", "alice", #"{"name":"Alice"}"#)
        try world.put("old", "friends", "bob", #"{"name":"Bob","tags":["x"]}"#)
        try world.remove("old", "friends", "bob")
        try world.put("old", "friends", "dan", #"{"name":"Dan"}"#)
        try await world.sync("old")
        try FriendsSchema.upgrade(world["newer"], to: 2)
        try world.put("newer", "friends", "carol", #"{"fullName":"Carol"}"#)
        try await world.sync("newer")

        // Recovered: the store is migrated (nothing local yet) before the vault is read.
        let fresh = try world.addDevice("fresh")
        #expect(try FriendsSchema.upgrade(fresh, to: 3).changedNothing == false)
        let report = try await world.sync("fresh", .accept)
        #expect(report.problems.isEmpty)
        #expect(try entries(world, "fresh") == [
            "alice": #"3 {"fullName":"Alice","tags":[]}"#,
            "carol": #"3 {"fullName":"Carol","tags":[]}"#,
            "dan": #"3 {"fullName":"Dan","tags":[]}"#,
        ])
        #expect(try fresh.entry(context: "friends", key: "bob")?.value == nil)
        #expect(report.changesPushed == 3, "each migrated entry is republished once")

        // Another device at 3 takes the republished versions as they are.
        let other = try world.addDevice("other")
        try FriendsSchema.upgrade(other, to: 3)
        #expect(try await world.sync("other", .accept).changesPushed == 0)
        #expect(try entries(world, "other") == (try entries(world, "fresh")))
    }

    @Test func aFailingMigrationLeavesTheStoreAsItWasAndARerunChangesNothing() async throws {
        let world = try TestWorld(devices: ["a"])
        for name in ["ann", "ben", "cat", "dee"] { try world.put("a", "friends", name, #"{"name":"\#(name)"}"#) }
        try world.put("a", "friends", "zed", #""not an object""#)
        try await world.sync("a")
        let before = try world["a"].entries()
        let counts = try world["a"].counts()

        // zed sorts last: four entries were rewritten in the transaction when it fails.
        #expect(throws: TandemError.self) { try FriendsSchema.upgrade(world["a"], to: 2) }
        #expect(try world["a"].entries() == before)
        #expect(try world["a"].counts() == counts)
        #expect(try world["a"].schemaVersion(of: "friends") == 1)

        try world.put("a", "friends", "zed", #"{"name":"zed"}"#)
        let first = try FriendsSchema.upgrade(world["a"], to: 2)
        #expect(first.migrated.count == 5)
        let after = try world["a"].entries()
        let second = try FriendsSchema.upgrade(world["a"], to: 2)
        #expect(second.changedNothing)
        #expect(second.alreadyCurrent == 5)
        #expect(try world["a"].entries() == after)
    }

    @Test func aDryRunReportsWhatWouldChangeAndWritesNothing() async throws {
        let world = try TestWorld(devices: ["a"])
        try world.put("a", "friends", "alice", #"{"name":"Alice"}"#)
        let before = try world["a"].entries()
        try world["a"].registerMigration(context: "friends", FriendsSchema.steps[0])
        let report = try world["a"].migrateContext("friends", to: 2, dryRun: true)
        #expect(report.migrated.map(\.after) == [#"{"fullName":"Alice"}"#])
        #expect(try world["a"].entries() == before)
        #expect(try world["a"].schemaVersion(of: "friends") == 1)
    }

    @Test func aMigrationThatYieldsInvalidJSONIsRefusedNamingTheEntry() async throws {
        let world = try TestWorld(devices: ["a"])
        try world.put("a", "friends", "alice", #"{"name":"Alice"}"#)
        try world["a"].registerMigration(context: "friends", SchemaStep(from: 1, to: 2) { _ in .number("0x1F") })
        let error = #expect(throws: TandemError.self) { try world["a"].migrateContext("friends", to: 2) }
        #expect(error?.description.hasPrefix("cannot migrate friends/alice: migration 1→2 of the app yields invalid JSON") == true, "\(String(describing: error))")
        #expect(try world.value("a", "friends", "alice") == #"{"name":"Alice"}"#)
    }

    @Test func aMissingStepIsNamedAndGoingBackIsRefused() async throws {
        let world = try TestWorld(devices: ["a"])
        try world.put("a", "friends", "alice", #"{"name":"Alice"}"#)
        try world["a"].registerMigration(context: "friends", FriendsSchema.steps[0])
        let error = #expect(throws: TandemError.self) { try world["a"].migrateContext("friends", to: 3) }
        #expect(error?.description.contains("no migration from schema 2 to 3 (after migrating from 1 to 2)") == true, "\(String(describing: error))")
        try world["a"].migrateContext("friends", to: 2)
        #expect(throws: TandemError.schemaDowngrade(context: "friends", current: 2, requested: 1)) { try world["a"].migrateContext("friends", to: 1) }
    }

    /// Under review, an incoming change of an older schema is migrated when
    /// the person accepts it, and a handler sees the migrated value.
    @Test func incomingChangesOfAnOlderSchemaAreMigratedWhenApplied() async throws {
        let world = try TestWorld(devices: ["old", "new", "app"])
        try world.put("old", "friends", "alice", #"{"name":"Alice"}"#)
        try world.put("old", "friends", "bob", #"{"name":"Bob"}"#)
        try await world.sync("old")
        try FriendsSchema.upgrade(world["new"], to: 2)
        try await world.sync("new")
        #expect(try world.state("new", "friends", "alice") == .incoming)
        try world["new"].decide(.accept, context: "friends", key: "alice")
        #expect(try world["new"].entry(context: "friends", key: "alice")?.local?.schema == 2)
        #expect(try world.value("new", "friends", "alice") == #"{"fullName":"Alice"}"#)

        try FriendsSchema.upgrade(world["app"], to: 2)
        let handlers = HandlerRecorder()
        try await world.sync("app", handlers: ["friends": handlers.handlers])
        #expect(handlers.calls.map(\.value).sorted { ($0 ?? "") < ($1 ?? "") } == [#"{"fullName":"Alice"}"#, #"{"fullName":"Bob"}"#])
        #expect(try world.value("app", "friends", "bob") == #"{"fullName":"Bob"}"#)
    }

    /// The edge migration touches only local versions: an edit still waiting
    /// in the vault is not turned into a conflict, and is migrated when accepted.
    @Test func anEditWaitingInTheVaultIsMigratedWhenAcceptedNotMadeAConflict() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "friends", "alice", #"{"name":"Alice"}"#)
        try await world.sync("a")
        try await world.sync("b", .accept)
        try world.put("a", "friends", "alice", #"{"name":"Alice B."}"#)
        try await world.sync("a")
        try await world.sync("b")
        #expect(try world.state("b", "friends", "alice") == .incoming)

        let report = try FriendsSchema.upgrade(world["b"], to: 2)
        #expect(report.migrated.map(\.outcome) == [.migratedInPlace])
        #expect(try world.value("b", "friends", "alice") == #"{"fullName":"Alice"}"#)
        #expect(try world.state("b", "friends", "alice") == .incoming)
        #expect(try world["b"].counts().waitingToPush == 0)

        try world["b"].decide(.accept, context: "friends", key: "alice")
        #expect(try world.value("b", "friends", "alice") == #"{"fullName":"Alice B."}"#)
        try await world.sync("b")
        try FriendsSchema.upgrade(world["a"], to: 2)
        try await world.sync("a")
        for name in ["a", "b"] {
            #expect(try world.value(name, "friends", "alice") == #"{"fullName":"Alice B."}"#)
            #expect(try world.state(name, "friends", "alice") == .inSync)
        }
    }

    @Test func theLibraryRegistersStepsAndDeclaresTheSchemaOnStart() async throws {
        let world = try TestWorld(devices: ["a"])
        try world.put("a", "friends", "alice", #"{"name":"Alice"}"#)
        let device = TandemDevice(store: world["a"], coalescingDelay: .seconds(60))
        try await device.registerMigration("friends", from: 1, to: 2) { value in
            try FieldOperation.rename(from: "/name", to: "/fullName").apply(to: value)
        }
        #expect(try await device.setSchema("friends", version: 2).migrated.count == 1)
        #expect(try await device.setSchema("friends", version: 2).changedNothing)
        try await device.upsert("friends", key: "bob", value: #"{"fullName":"Bob"}"#)
        let entries = try await device.entries("friends")
        #expect(entries.map { $0.local?.schema } == [2, 2])
        #expect(try world["a"].contexts().first?.entriesBySchema == [2: 2])
    }
}
