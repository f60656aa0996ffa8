import Crypto
import Foundation

/// Sealing method 1: AES-256-GCM under a subkey of the vault key. Each file
/// gets a fresh random 96-bit nonce; the sealed bytes are nonce, ciphertext
/// and 16-byte tag. The associated data (the file's place in the vault) is
/// authenticated, so a file copied or renamed elsewhere fails to open.
public struct AESGCMSealer: Sealer {
    public static let name = "aes-256-gcm"
    public let kind: UInt8 = 1
    // Bytes rather than a SymmetricKey, which is not Sendable.
    private let keyBytes: [UInt8]

    init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
    }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: associatedData)
        guard let combined = box.combined else { throw Refused(description: "AES-GCM produced no combined form") }
        return Array(combined)
    }

    public func open(_ sealed: ArraySlice<UInt8>, associatedData: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= 12 + 16 else { throw Refused(description: "too short to hold a nonce and a tag") }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: associatedData))
        } catch {
            throw Refused(description: "authentication failed (damaged, forged, or not this file's place in the vault)")
        }
    }
}
