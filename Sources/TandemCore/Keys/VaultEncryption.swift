import Crypto
import Foundation

/// The `encryption` section of an encrypted vault's `vault.json`: the vault
/// key wrapped under the passphrase, and the checks that tell a wrong
/// passphrase from a damaged file. All of it is public by design: without
/// the passphrase it only allows guessing, at scrypt's cost per guess.
public struct VaultEncryption: Codable, Sendable, Equatable {
    public var kdf: String
    public var scrypt: ScryptParameters
    /// HMAC-SHA256 of a fixed text under the passphrase's key, base64: a
    /// mismatch means a wrong passphrase, not a damaged vault.
    public var passphraseCheck: String
    /// The vault key sealed with AES-256-GCM under the passphrase's key,
    /// bound to the vault's id and owner, base64.
    public var wrappedKey: String
    /// `VaultKey.check(vaultID:owner:)`, base64: checks a key however it
    /// was obtained (passphrase, recovery phrase, or remembered).
    public var keyCheck: String

    static let passphraseCheckText = Array("tandem passphrase check v1".utf8)

    /// Wraps `key` under `passphrase`.
    static func make(key: VaultKey, passphrase: String, scrypt: ScryptParameters, vaultID: String, owner: String) throws -> VaultEncryption {
        let (wrapping, checking) = try keys(passphrase, scrypt)
        let box = try AES.GCM.seal(key.bytes, using: wrapping, authenticating: wrapAssociatedData(vaultID: vaultID, owner: owner))
        return VaultEncryption(
            kdf: "scrypt", scrypt: scrypt,
            passphraseCheck: Data(HMAC<SHA256>.authenticationCode(for: passphraseCheckText, using: checking)).base64EncodedString(),
            wrappedKey: box.combined!.base64EncodedString(),
            keyCheck: Data(key.check(vaultID: vaultID, owner: owner)).base64EncodedString())
    }

    /// The wrapping key and the check key of a passphrase: scrypt's output
    /// split by HKDF, so no key serves two algorithms.
    private static func keys(_ passphrase: String, _ scrypt: ScryptParameters) throws -> (wrapping: SymmetricKey, checking: SymmetricKey) {
        let derived = try scrypt.derive(passphrase)
        return (HKDF<SHA256>.deriveKey(inputKeyMaterial: derived, info: Array("tandem key wrap v1".utf8), outputByteCount: 32),
                HKDF<SHA256>.deriveKey(inputKeyMaterial: derived, info: Array("tandem passphrase check v1".utf8), outputByteCount: 32))
    }

    private static func wrapAssociatedData(vaultID: String, owner: String) -> [UInt8] {
        Array("tandem vault key \(vaultID.utf8.count):\(vaultID) \(owner.utf8.count):\(owner)".utf8)
    }

    /// Why this section cannot be used; nil when it is well formed.
    var problem: String? {
        guard kdf == "scrypt" else { return "unknown key derivation '\(Escaped.text(kdf))'" }
        if let problem = scrypt.problem { return problem }
        guard Data(base64Encoded: passphraseCheck)?.count == 32, Data(base64Encoded: keyCheck)?.count == 32,
              (Data(base64Encoded: wrappedKey)?.count ?? 0) == 12 + 32 + 16 else {
            return "the key fields are not the base64 of a wrapped key and its checks"
        }
        return nil
    }

    /// The vault key, from the passphrase. `path` is `vault.json`'s, for errors.
    func unwrap(passphrase: String, vaultID: String, owner: String, path: String) throws(TandemError) -> VaultKey {
        let wrapping: SymmetricKey, checking: SymmetricKey
        do { (wrapping, checking) = try Self.keys(passphrase, scrypt) } catch {
            throw .vaultCorrupt(path: path, reason: "scrypt refused its parameters: \(error)")
        }
        let check = Data(HMAC<SHA256>.authenticationCode(for: Self.passphraseCheckText, using: checking))
        guard check == Data(base64Encoded: passphraseCheck) else { throw .wrongPassphrase(path: path) }
        guard let sealed = Data(base64Encoded: wrappedKey),
              let box = try? AES.GCM.SealedBox(combined: sealed),
              let opened = try? AES.GCM.open(box, using: wrapping, authenticating: Self.wrapAssociatedData(vaultID: vaultID, owner: owner)),
              let key = VaultKey(bytes: Array(opened)) else {
            throw .vaultCorrupt(path: path, reason: "the passphrase is right but the wrapped key does not open (the file is damaged, or its id or owner was changed)")
        }
        guard accepts(key, vaultID: vaultID, owner: owner) else {
            throw .vaultCorrupt(path: path, reason: "the wrapped key does not match the key check")
        }
        return key
    }

    /// True when `key` is this vault's key.
    func accepts(_ key: VaultKey, vaultID: String, owner: String) -> Bool {
        Data(key.check(vaultID: vaultID, owner: owner)) == Data(base64Encoded: keyCheck)
    }
}

/// How a new vault is protected.
public enum VaultProtection: Sendable {
    /// Encrypted with a random key wrapped under this passphrase.
    case passphrase(String, ScryptParameters = ScryptParameters())
    /// Not encrypted: integrity checksums only. For a vault only its owner can
    /// read and write (the ThreatModel article says what this leaves open).
    case none
}

/// What opens an encrypted vault.
public enum VaultCredential: Sendable {
    case passphrase(String)
    /// The 24 words printed when the vault was created.
    case recoveryPhrase(String)
    /// A key already known (remembered by a device, or unlocked earlier).
    case key(VaultKey)
}
