import Testing
@testable import TandemCore

/// The rules every part of Tandem asks, each in its one home.
@Suite struct RuleTests {
    @Test func whatADecisionAppliesTo() {
        #expect(Decision.accept.appliesTo == [.incoming, .refused])
        #expect(Decision.refuse.appliesTo == [.incoming, .refused])
        #expect(Decision.keepMine.appliesTo == [.incoming, .refused, .conflict])
    }

    @Test func whatAChangeDoesHere() {
        #expect(ChangeKind(deletes: true, localLive: true) == .deletion)
        #expect(ChangeKind(deletes: true, localLive: false) == .deletion)
        #expect(ChangeKind(deletes: false, localLive: true) == .edit)
        #expect(ChangeKind(deletes: false, localLive: false) == .insert)
    }

    @Test func aPersonsSyncReviewsWhatHandlersWouldDecide() {
        let map = PolicyMap.forPerson(stored: ["a": .handlers, "b": .accept])
        #expect(map["a"] == .review && map["b"] == .accept && map["c"] == .review)
    }
}
