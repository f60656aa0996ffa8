import Testing
@testable import TandemCore

@Suite struct RecordBatchTests {
    @Test func keysArePaddedToAPowerOfTwoWithTheLastOne() {
        #expect(RecordBatch.padded([]) == [])
        #expect(RecordBatch.padded(["a"]) == ["a"])
        #expect(RecordBatch.padded(["a", "b", "c"]) == ["a", "b", "c", "c"])
        let full = (0..<512).map { "k\($0)" }
        #expect(RecordBatch.padded(full[...]) == full)
    }

    /// A segment of more changes than one query reads (512 keys), some of
    /// them already held here: every change lands on its own entry.
    @Test func aSegmentLargerThanOneQueryAppliesEveryChange() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        for index in 0..<20 { try world.put("laptop", "friends", "k\(index)", "0") }
        try await world.sync("laptop")
        try await world.sync("phone", .accept)
        for index in 0..<600 { try world.put("laptop", "friends", "k\(index)", "\(index)") }
        try await world.sync("laptop")
        let report = try await world.sync("phone", .accept)
        #expect(report.segmentsPulled == 1)
        let data = try world.data("phone")
        #expect(data.count == 600)
        #expect((0..<600).allSatisfy { data["friends/k\($0)"] == "\($0)" })
    }
}
