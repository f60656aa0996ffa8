import Crypto
import Foundation

/// The sealing step of the codec: turns a file's plaintext into the bytes on
/// disk and back, bound to associated data that names the file's place in the
/// vault (so a file moved elsewhere fails to open).
public protocol Sealer: Sendable {
    /// The one-byte tag written in front of sealed data.
    var kind: UInt8 { get }
    func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws -> [UInt8]
    func open(_ sealed: ArraySlice<UInt8>, associatedData: [UInt8]) throws -> [UInt8]
}

/// Sealing without a key: the plaintext followed by SHA-256 of the associated
/// data and the plaintext. It detects accidents (a flipped bit, a truncated or
/// misplaced file), not an attacker; encryption replaces it in the same format.
public struct PlainSealer: Sealer {
    public static let name = "plain"
    public let kind: UInt8 = 0

    public init() {}

    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: associatedData)
        hasher.update(data: plaintext)
        return plaintext + Array(hasher.finalize())
    }

    public func open(_ sealed: ArraySlice<UInt8>, associatedData: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= 32 else { throw Mismatch(description: "too short to hold its checksum") }
        let body = sealed.dropLast(32)
        var hasher = SHA256()
        hasher.update(data: associatedData)
        hasher.update(data: body)
        guard Array(hasher.finalize()) == Array(sealed.suffix(32)) else {
            throw Mismatch(description: "checksum mismatch (damaged, or not this file's place in the vault)")
        }
        return Array(body)
    }
}

enum Digest {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// The bytes of `hex`, two digits each; nil when it is not hex or has
    /// an odd number of digits: damage is reported, never read as zeros.
    static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[pair]), let low = hexValue(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `count` random bytes as hex: names no two writers can pick alike.
    static func randomHex(bytes count: Int) -> String {
        hex((0..<count).map { _ in UInt8.random(in: 0...255) })
    }
}
