import Foundation
import Testing
@testable import TandemCore

@Suite struct SegmentCodecTests {
    let device = DeviceID(validating: "00000000000000d1")!
    let other = DeviceID(validating: "00000000000000d2")!

    func sample(seq: UInt64 = 1) -> Segment {
        let put = LoggedChange(context: "friends", key: "alice ✓", version: EntryVersion(
            value: #"{"age":30}"#, vector: [device: 3, other: 1], timestamp: HLCTimestamp(wallMillis: 1_700_000_000_123, counter: 2), origin: device, schema: 2))
        let deletion = LoggedChange(context: "friends", key: "bob", version: EntryVersion(
            value: nil, vector: [device: 4], timestamp: HLCTimestamp(wallMillis: 1_700_000_000_200), origin: device))
        return Segment(device: device, seq: seq, previousHash: Segment.noPreviousHash, created: HLCTimestamp(wallMillis: 1_700_000_000_300), changes: [put, deletion])
    }

    @Test func roundTrips() throws {
        let codec = SegmentCodec()
        let bytes = try codec.encode(sample())
        #expect(try codec.decode(bytes, device: device, seq: 1) == sample())
    }

    @Test func everyFlippedByteIsDetected() throws {
        let codec = SegmentCodec()
        let bytes = try codec.encode(sample())
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x40
            #expect(throws: SegmentCodec.DecodeError.self, "byte \(index)") { try codec.decode(damaged, device: device, seq: 1) }
        }
    }

    @Test func everyTruncationIsDetected() throws {
        let codec = SegmentCodec()
        let bytes = try codec.encode(sample())
        for length in 0..<bytes.count {
            #expect(throws: SegmentCodec.DecodeError.self, "length \(length)") {
                try codec.decode(Array(bytes.prefix(length)), device: device, seq: 1)
            }
        }
    }

    @Test func aSegmentInAnotherPlaceFailsToOpen() throws {
        let codec = SegmentCodec()
        let bytes = try codec.encode(sample())
        #expect(throws: SegmentCodec.DecodeError.self) { try codec.decode(bytes, device: other, seq: 1) }
        #expect(throws: SegmentCodec.DecodeError.self) { try codec.decode(bytes, device: device, seq: 2) }
    }

    @Test func aNewerFormatIsRefusedWithAMessageThatSaysSo() throws {
        var bytes = try SegmentCodec().encode(sample())
        bytes[4] = 9
        do {
            _ = try SegmentCodec().decode(bytes, device: device, seq: 1)
            Issue.record("a format 9 segment was accepted")
        } catch {
            #expect(error.description.contains("newer than this tandem understands"))
        }
    }
}
