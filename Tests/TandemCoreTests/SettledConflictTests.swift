import Foundation
import GRDB
import Testing
@testable import TandemCore

/// Conflicts that accept has settled on their winner stay listed until a
/// person resolves them; syncs leave them out of what they read, and take
/// them up again as soon as another version arrives.
@Suite struct SettledConflictTests {
    private func conflict() async throws -> TestWorld {
        try await TestWorld.concurrentEdit(others: ["tablet"])
    }

    /// The stored mark, and the rows that accept syncs and handlers read.
    private func mark(_ store: DeviceStore) throws -> (settled: Bool, unsettledRows: Int) {
        try store.read { db in
            let settled = try Bool.fetchOne(db, sql: "SELECT conflict_settled FROM entry WHERE context = 'friends' AND key = 'alice'") ?? false
            let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM entry WHERE \(EntryRecord.unsettledTerm)") ?? 0
            return (settled, rows)
        }
    }

    @Test func aConflictSettledOnItsWinnerIsLeftOutOfWhatSyncsRead() async throws {
        let world = try await conflict()
        try await world.sync("tablet")
        #expect(try world.state("tablet", "friends", "alice") == .conflict)
        #expect(try mark(world["tablet"]) == (false, 1))
        try await world.sync("tablet", .accept)
        #expect(try world.state("tablet", "friends", "alice") == .conflict)
        #expect(try mark(world["tablet"]) == (true, 0))
    }

    @Test func aSettledConflictMeetingANewVersionIsSettledAgainByAccept() async throws {
        let world = try await conflict()
        try await world.sync("tablet", .accept)
        let first = try world.value("tablet", "friends", "alice")
        // laptop edits again, still without having seen phone's edit: a new
        // winner of the same conflict, pulled under review (nothing settled).
        world.clocks["laptop"]!.advance(60_000)
        try world.put("laptop", "friends", "alice", #"{"age":40}"#)
        try await world.sync("laptop")
        try await world.sync("tablet")
        #expect(try world.value("tablet", "friends", "alice") == first)
        #expect(try mark(world["tablet"]).settled == false)
        try await world.sync("tablet", .accept)
        #expect(try world.value("tablet", "friends", "alice") == #"{"age":40}"#)
        #expect(try mark(world["tablet"]).settled == true)
    }

    @Test func aSettledConflictMeetingANewVersionGoesToTheHandlers() async throws {
        let world = try await conflict()
        try await world.sync("tablet", .accept)
        world.clocks["laptop"]!.advance(60_000)
        try world.put("laptop", "friends", "alice", #"{"age":40}"#)
        try await world.sync("laptop")
        let recorder = HandlerRecorder()
        try await world.sync("tablet", handlers: ["friends": recorder.handlers])
        #expect(recorder.calls.map(\.value) == [#"{"age":40}"#])
        #expect(try world.value("tablet", "friends", "alice") == #"{"age":40}"#)
    }

    /// A store written before the mark existed holds 0 on every row: its
    /// settled conflicts are read once more and marked by the next accept sync.
    @Test func anAcceptSyncMarksAConflictStoredBeforeTheMark() async throws {
        let world = try await conflict()
        try await world.sync("tablet", .accept)
        let before = try #require(try world["tablet"].entry(context: "friends", key: "alice"))
        try world["tablet"].writeTransaction { db in try db.execute(sql: "UPDATE entry SET conflict_settled = 0") }
        let recorder = HandlerRecorder()
        try await world.sync("tablet", handlers: ["friends": recorder.handlers])
        #expect(recorder.calls.isEmpty)
        try await world.sync("tablet", .accept)
        #expect(try mark(world["tablet"]) == (true, 0))
        #expect(try world["tablet"].entry(context: "friends", key: "alice") == before)
    }

    /// A change that leaves an entry's conflict versions as they were does not
    /// delete and insert them again.
    @Test func unchangedConflictVersionsAreNotRewritten() async throws {
        let world = try await conflict()
        try await world.sync("tablet")
        try world["tablet"].writeTransaction { db in
            try db.execute(sql: """
                CREATE TABLE rewritten (n INTEGER);
                CREATE TRIGGER conflict_version_deleted AFTER DELETE ON conflict_version BEGIN INSERT INTO rewritten VALUES (1); END;
                """)
        }
        try await world.sync("tablet", .accept)
        #expect(try world.value("tablet", "friends", "alice") != nil)
        #expect(try world["tablet"].read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM rewritten") } == 0)
        #expect(try world["tablet"].read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict_version") } == 1)
    }
}
