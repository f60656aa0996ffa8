import Foundation
import GRDB
import Testing
@testable import TandemCore

/// A store that syncs for years keeps a window of its history, not all of it.
@Suite struct BoundedHistoryTests {
    func count(_ table: String, in store: DeviceStore) throws -> Int {
        let queue = try DatabaseQueue(path: store.path)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    @Test func aSyncKeepsTheNewestLogLinesAndDecisionsOnly() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        let store = world["laptop"]
        // Years of history, written in one go as another program would see them.
        let queue = try DatabaseQueue(path: store.path)
        try await queue.write { db in
            for index in 0..<(DeviceStore.eventWindow + 500) {
                try db.execute(sql: "INSERT INTO event (at, level, message) VALUES (?, 'info', ?)", arguments: [index, "old line \(index)"])
            }
            for index in 0..<(DeviceStore.decisionWindow + 300) {
                try db.execute(sql: "INSERT INTO decision (at, context, key, decision) VALUES (?, 'c', ?, 'accept')", arguments: [index, "k\(index)"])
            }
        }
        try queue.close()
        try world.put("phone", "c", "new", "1")
        try await world.sync("phone")
        try await world.sync("laptop", .accept)
        #expect(try count("event", in: store) <= DeviceStore.eventWindow + 1)
        #expect(try count("decision", in: store) <= DeviceStore.decisionWindow + 1)
        // The newest lines are the ones kept: this sync's own among them.
        let events = try store.events(limit: 3)
        #expect(events.first?.message.hasPrefix("sync:") == true, "\(events)")
        #expect(try store.events(limit: DeviceStore.eventWindow + 10).last?.message != "old line 0")
    }

    @Test func theWriteAheadLogIsCutBackAfterACheckpoint() throws {
        let world = try TestWorld(devices: ["laptop"])
        #expect(try world["laptop"].journalSizeLimit() == 64 << 20)
    }
}
