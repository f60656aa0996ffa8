import Foundation
import Testing
@testable import TandemCore

/// `u` / `tandem undo`: a decision not yet published comes back out exactly,
/// and one that a sync published, or that a later change built on, does not.
@Suite struct UndoTests {
    /// `b` has an incoming change of c/k, from "1" to "2".
    private func incoming() async throws -> TestWorld {
        let world = try await TestWorld.incomingEdit()
        #expect(try world.state("b", "c", "k") == .incoming)
        return world
    }

    @Test func eachDecisionIsTakenBackExactly() async throws {
        for decision in Decision.allCases {
            let world = try await incoming()
            let store = world["b"]
            let before = try store.read { db in try EntryRows.read(db, context: "c", key: "k") }
            try store.decide(decision, context: "c", key: "k")
            #expect(try store.read { db in try EntryRows.read(db, context: "c", key: "k") } != before, "\(decision) changed nothing")
            let undone = try Device(store: store).undoLastDecision()
            #expect(undone.label == decision.rawValue && undone.status.state == .incoming)
            #expect(try store.read { db in try EntryRows.read(db, context: "c", key: "k") } == before, "\(decision) did not come back exactly")
            #expect(try world.value("b", "c", "k") == "1")
            #expect(try store.outboxCount() == 0)
            // The change can be decided again, and nothing is left to undo.
            try store.decide(.accept, context: "c", key: "k")
            #expect(try world.value("b", "c", "k") == "2")
            _ = try Device(store: store).undoLastDecision()
            #expect(throws: TandemError.cannotUndo(reason: "no decision taken on this device is left to undo")) {
                try Device(store: store).undoLastDecision()
            }
        }
    }

    /// An accept of many changes at once is one action: one undo takes all of
    /// it back (not only the last entry), and more than the undo depth of
    /// decisions fit in one action.
    @Test func decisionsTakenTogetherAreTakenBackTogether() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        for index in 0..<120 { try world.put("a", "c", "k\(index)", "\(index)") }
        try world.put("a", "c", "alone", "1")
        try await world.sync("a")
        try await world.sync("b")
        let store = world["b"]
        try store.decide(.accept, context: "c", key: "alone")
        let action = try store.newAction()
        for index in 0..<120 { try store.decide(.accept, context: "c", key: "k\(index)", action: action) }
        #expect(try store.entries(states: [.incoming]).isEmpty)
        let undone = try Device(store: store).undoLastDecision()
        #expect(undone.count == 120 && undone.changedSince == 0)
        #expect(try store.entries(states: [.incoming]).count == 120, "all of the action came back")
        #expect(try world.state("b", "c", "alone") == .inSync, "the decision before it is another action")
        #expect(try Device(store: store).undoLastDecision().status.key == "alone")
    }

    @Test func anActionWhoseEntriesChangedSinceTakesBackTheRest() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        for key in ["x", "y", "z"] { try world.put("a", "c", key, "1") }
        try await world.sync("a")
        try await world.sync("b")
        let store = world["b"]
        let action = try store.newAction()
        for key in ["x", "y", "z"] { try store.decide(.accept, context: "c", key: key, action: action) }
        try world.put("b", "c", "y", "2")
        let undone = try Device(store: store).undoLastDecision()
        #expect(undone.count == 3 && undone.changedSince == 1)
        #expect(try world.state("b", "c", "x") == .incoming && (try world.state("b", "c", "z")) == .incoming)
        #expect(try world.value("b", "c", "y") == "2", "a write made since stays")
    }

    @Test func aResolutionIsTakenBackUntilASyncPublishesIt() async throws {
        let world = try await TestWorld.concurrentEdit()
        let store = world["laptop"]
        #expect(try world.state("laptop", "friends", "alice") == .conflict)
        try store.resolve(context: "friends", key: "alice", .merge(value: #"{"age":40}"#))
        #expect(try Device(store: store).undoLastDecision().status.state == .conflict)
        #expect(try world.value("laptop", "friends", "alice") == #"{"age":31}"#)

        try store.resolve(context: "friends", key: "alice", .keepLocal)
        try await world.sync("laptop")
        #expect {
            try Device(store: store).undoLastDecision()
        } throws: { error in
            (error as? TandemError)?.description.contains("a sync has published it") == true
        }
        #expect(try world.state("laptop", "friends", "alice") == .inSync)
    }

    @Test func aDecisionAnEntryChangedSinceIsNotTakenBack() async throws {
        let world = try await incoming()
        let store = world["b"]
        try store.decide(.refuse, context: "c", key: "k")
        try world.put("a", "c", "k", "3")
        try await world.sync("a")
        try await world.sync("b")
        #expect {
            try Device(store: store).undoLastDecision()
        } throws: { error in
            (error as? TandemError)?.description.contains("the entry changed since") == true
        }
        #expect(try world.state("b", "c", "k") == .incoming, "the newer change waits, untouched")
        #expect(throws: TandemError.self) { try Device(store: store).undoLastDecision() }
    }

    @Test func decisionsAreTakenBackNewestFirst() async throws {
        let world = try await incoming()
        try world.put("a", "c", "other", #""x""#)
        try await world.sync("a")
        try await world.sync("b")
        let store = world["b"]
        try store.decide(.accept, context: "c", key: "k")
        try store.decide(.keepMine, context: "c", key: "other")
        #expect(try Device(store: store).undoLastDecision().status.key == "other")
        #expect(try Device(store: store).undoLastDecision().status.key == "k")
        #expect(try world.state("b", "c", "k") == .incoming && world.state("b", "c", "other") == .incoming)
    }

    /// A sync publishes in two steps, the segment then the record of it: an
    /// undo is refused while a sync runs, and after one killed between them.
    @Test func noUndoWhileASyncRunsOrAfterOneKilledHalfWay() async throws {
        let world = try await incoming()
        let store = world["b"]
        try store.decide(.keepMine, context: "c", key: "k")
        do {
            let sync = try #require(try DeviceLock.take(path: store.path + ".lock"))
            #expect {
                try Device(store: store).undoLastDecision()
            } throws: { error in
                (error as? TandemError)?.description.contains("a sync of this device is running") == true
            }
            withExtendedLifetime(sync) {}
        }
        let info = try store.info()
        let next = world.vault.segmentURL(device: info.id, seq: info.pushedSeq + 1)
        try FileManager.default.createDirectory(at: next.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("written, not recorded".utf8).write(to: next)
        #expect {
            try Device(store: store).undoLastDecision()
        } throws: { error in
            (error as? TandemError)?.description.contains("did not finish; run tandem sync") == true
        }
        try FileManager.default.removeItem(at: next)
        #expect(try Device(store: store).undoLastDecision().status.state == .incoming, "the decision was kept for when it can be taken back")
    }
}
