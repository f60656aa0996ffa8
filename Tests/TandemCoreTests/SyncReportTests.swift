import Foundation
import Testing
@testable import TandemCore

@Suite struct SyncReportTests {
    @Test func aSyncUnderAcceptCountsWhatItApplied() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        for key in ["a", "b", "c"] { try world.put("laptop", "notes", key, #"{"k":"\#(key)"}"#) }
        try await world.sync("laptop")
        let restore = try await world.sync("phone", .accept)
        #expect(restore.changesPulled == 3)
        #expect(restore.applied == 3)
        try world.put("laptop", "notes", "a", #"{"k":"A"}"#)
        try await world.sync("laptop")
        let review = try await world.sync("phone")
        #expect(review.changesPulled == 1)
        #expect(review.applied == 0, "under review the change waits")
        #expect(review.waiting == 1)
    }
}
