import Foundation

/// The identifier of one device: 16 lowercase hex digits, generated at random.
///
/// Device ids name folders and files in the vault, so they are never taken
/// from user input: anything read from disk is checked with ``init(validating:)``.
public struct DeviceID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    /// The same 16 hex digits as a number: ids are compared, sorted and
    /// hashed many times for every entry a restore reads (version vectors
    /// name twenty of them after many reinstalls), and a number does that
    /// without touching the text. Fixed-width hex sorts as its number does.
    private let number: UInt64

    /// Accepts only the canonical form, so that no id read from a vault can
    /// name a path outside it.
    public init?(validating raw: String) {
        guard raw.utf8.count == 16 else { return nil }
        var number: UInt64 = 0
        for byte in raw.utf8 {
            switch byte {
            case 48...57: number = number << 4 | UInt64(byte - 48)
            case 97...102: number = number << 4 | UInt64(byte - 87)
            default: return nil
            }
        }
        rawValue = raw
        self.number = number
    }

    /// A fresh random id.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> DeviceID {
        let value = UInt64.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return DeviceID(validating: String(repeating: "0", count: 16 - hex.count) + hex)!
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
