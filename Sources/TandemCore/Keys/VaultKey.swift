import Crypto
import Foundation

/// The random 256-bit key of an encrypted vault. Every sealed file is sealed
/// under a subkey derived from it for one purpose, so a segment can never be
/// opened as a device record or an object, whatever its bytes.
public struct VaultKey: Sendable, Equatable {
    /// The key's 32 bytes; they are what the recovery phrase spells.
    public let bytes: [UInt8]

    public static let byteCount = 32

    /// A fresh random key.
    public static func random() -> VaultKey {
        VaultKey(unchecked: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// A key from its 32 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    private init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// What a subkey is for; the raw value is the HKDF info string, so it is
    /// part of the vault format.
    enum Purpose: String {
        case segments = "tandem segments v1"
        case deviceRecords = "tandem device records v1"
        case objects = "tandem objects v1"
        case manifests = "tandem manifests v1"
        case damageRecords = "tandem damage records v1"
        case condemnationRecords = "tandem condemned packs v1"
        case keyCheck = "tandem key check v1"
    }

    func subkey(_ purpose: Purpose) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: bytes), info: Array(purpose.rawValue.utf8), outputByteCount: 32)
    }

    /// A MAC over the vault's identity: it tells the right key from a wrong one
    /// before any file is opened, and it makes the owner and id written in
    /// `vault.json` unchangeable without the key.
    func check(vaultID: String, owner: String) -> [UInt8] {
        var message = Array("tandem vault \(vaultID.utf8.count):".utf8) + Array(vaultID.utf8)
        message += Array(" owner \(owner.utf8.count):".utf8) + Array(owner.utf8)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: subkey(.keyCheck)))
    }
}
