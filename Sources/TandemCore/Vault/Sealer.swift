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

    /// The bytes of `hex`, two digits each (a digit pair that is not hex gives 0).
    static func bytes(fromHex hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    /// `count` random bytes as hex: names no two writers can pick alike.
    static func randomHex(bytes count: Int) -> String {
        hex((0..<count).map { _ in UInt8.random(in: 0...255) })
    }
}
