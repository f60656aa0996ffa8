import Foundation
import Testing
@testable import TandemCore

/// A reader holds a whole segment in memory: a push of large values is cut
/// into segments of at most 8 MiB of values, and all of them arrive.
@Suite struct SegmentSizeTests {
    @Test func largeValuesArePushedInSegmentsOfAtMostEightMebibytes() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        let big = "\"" + String(repeating: "x", count: 900_000) + "\""
        for index in 0..<20 { try world.put("a", "c", "k\(index)", big) }
        let report = try await world.sync("a")
        #expect(report.changesPushed == 20)
        #expect(report.segmentsPushed == 3, "20 values of 0.9 MB make 3 segments of at most 8 MiB")
        let info = try world["a"].info()
        for seq in 1...info.pushedSeq {
            let size = try FileManager.default.attributesOfItem(atPath: world.vault.segmentURL(device: info.id, seq: seq).path)[.size] as! Int
            #expect(size <= 8 << 20 + 64 << 10)
        }
        try await world.sync("b", .accept)
        #expect(try world.data("b").count == 20)
    }
}
