import Foundation

/// The identifier of one device: 16 lowercase hex digits, generated at random.
///
/// Device ids name folders and files in the vault, so they are never taken
/// from user input: anything read from disk is checked with ``init(validating:)``.
public struct DeviceID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The 16 hex digits as a number, and nothing else: ids are copied,
    /// compared, sorted and hashed many times for every entry a restore
    /// reads (version vectors name twenty of them after many reinstalls), and
    /// a number does that without allocating or counting references, where
    /// 16 digits of text would not fit in a small string. Fixed-width hex
    /// sorts as its number does, so every encoding keeps its order.
    let number: UInt64

    /// The 16 lowercase hex digits.
    public var rawValue: String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            Self.writeHex(number, into: UnsafeMutableRawBufferPointer(buffer))
            return 16
        }
    }

    /// Writes the 16 hex digits of `number` at the start of `buffer`.
    static func writeHex(_ number: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        for index in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: number >> (60 - 4 * UInt64(index))) & 0xF
            buffer[index] = nibble < 10 ? 48 + nibble : 87 + nibble
        }
    }

    init(number: UInt64) {
        self.number = number
    }

    /// Parses 16 lowercase hex digits; nil for anything else.
    static func number(hex bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count == 16 else { return nil }
        var number: UInt64 = 0
        for byte in bytes {
            switch byte {
            case 48...57: number = number << 4 | UInt64(byte - 48)
            case 97...102: number = number << 4 | UInt64(byte - 87)
            default: return nil
            }
        }
        return number
    }

    /// Accepts only the canonical form, so that no id read from a vault can
    /// name a path outside it.
    public init?(validating raw: String) {
        var raw = raw
        guard let number = raw.withUTF8({ Self.number(hex: UnsafeRawBufferPointer($0)) }) else { return nil }
        self.number = number
    }

    /// A fresh random id.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> DeviceID {
        DeviceID(number: UInt64.random(in: .min ... .max, using: &generator))
    }

    public static func random() -> DeviceID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.number < rhs.number }

    public static func == (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.number == rhs.number }

    public func hash(into hasher: inout Hasher) { hasher.combine(number) }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let id = DeviceID(validating: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a device id: \(raw)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
