import Foundation
import Testing
@testable import TandemCore

/// A batch of local writes (what `tandem import` runs) as single writes
/// would make them: counters of their own, later times, and a version that
/// covers what was queued before it.
@Suite struct BatchWriteTests {
    @Test func aBatchOverQueuedWritesCoversThemAndStampsEachEntryOnce() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        let store = world["laptop"]
        guard case .written(let first) = try store.write(context: "friends", key: "alice", value: #"{"v":1}"#) else {
            Issue.record("the first write made no version")
            return
        }
        let outcome = try store.write([
            DeviceStore.BatchWrite(context: "friends", key: "alice", value: #"{"v":2}"#),
            DeviceStore.BatchWrite(context: "friends", key: "bob", json: try JSONParser.parse(#"{"v":1}"#)),
            DeviceStore.BatchWrite(context: "friends", key: "carol", value: #"{"v":1}"#),
        ])
        #expect(outcome == DeviceStore.BatchOutcome(written: 3, unchanged: 0))
        let queued = try store.outbox()
        let alice = try #require(queued.first { $0.key == "alice" }?.version)
        #expect(alice.vector.compare(to: first.vector) == .dominates, "the batch's write of alice does not cover the one it replaced")
        // Each entry its own counter, in order, after the single write's; times never go back.
        let me = try store.info().id
        let versions = ["alice", "bob", "carol"].compactMap { key in queued.first { $0.key == key }?.version }
        #expect(versions.map { $0.vector[me] } == [2, 3, 4])
        #expect(zip(versions, versions.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        #expect(first.timestamp < versions[0].timestamp)
        // The next single write goes on from where the batch left the counter and the clock.
        guard case .written(let after) = try store.write(context: "friends", key: "dave", value: #"{"v":1}"#) else {
            Issue.record("the write after the batch made no version")
            return
        }
        #expect(after.vector[me] == 5)
        #expect(versions[2].timestamp < after.timestamp)

        // The phone gets every version; alice's replaced one is not a conflict.
        _ = try await world.sync("laptop")
        _ = try await world.sync("phone", .accept)
        #expect(try world.value("phone", "friends", "alice") == #"{"v":2}"#)
        #expect(try world["phone"].entries(states: [.conflict]).isEmpty)
        #expect(try world["phone"].entries().filter { $0.value != nil }.count == 4)
    }
}
