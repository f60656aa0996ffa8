import _CryptoExtras
import Crypto
import Foundation

/// How a passphrase becomes the key that wraps the vault key: scrypt with
/// these costs and salt. They are public and stored in `vault.json`.
public struct ScryptParameters: Codable, Sendable, Equatable {
    /// log2 of scrypt's cost N.
    public var logN: Int
    /// Block size r.
    public var r: Int
    /// Parallelism p.
    public var p: Int
    /// 32 random bytes, base64.
    public var salt: String

    /// The default: N = 2^17, r = 8, p = 1 — 128 MiB and about half a second
    /// per try on a laptop, the cost restic and the scrypt paper recommend for
    /// interactive use. Tests pass a lower `logN`.
    public static let defaultLogN = 17

    /// The range accepted when reading `vault.json`: a damaged or hostile
    /// file must not make a device spend gigabytes or minutes on one try.
    public static let acceptedLogN = 10...20

    /// scrypt needs 128·r·N bytes; more than 1 GiB is refused, and so is
    /// more than 16 times the default's work (N·r·p).
    static let maximumMemory = 1 << 30
    static let maximumWork = 1 << 24

    public init(logN: Int = ScryptParameters.defaultLogN, r: Int = 8, p: Int = 1, salt: [UInt8]? = nil) {
        self.logN = logN
        self.r = r
        self.p = p
        self.salt = Data(salt ?? SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    /// Why the parameters are refused; nil when they are usable.
    var problem: String? {
        guard Self.acceptedLogN.contains(logN) else { return "scrypt cost logN \(logN) is outside \(Self.acceptedLogN)" }
        guard (1...16).contains(r), (1...4).contains(p) else { return "scrypt r \(r) or p \(p) is out of range" }
        guard 128 * r << logN <= Self.maximumMemory, (r * p) << logN <= Self.maximumWork else {
            return "scrypt parameters logN \(logN), r \(r), p \(p) would need more than 1 GiB or 16 times the default work"
        }
        guard let salt = Data(base64Encoded: salt), salt.count >= 16 else { return "the scrypt salt is not 16 or more base64 bytes" }
        return nil
    }

    /// The key-encryption key of `passphrase`. Slow on purpose.
    func derive(_ passphrase: String) throws -> SymmetricKey {
        let salt = Data(base64Encoded: salt) ?? Data()
        // The passphrase is used as typed but in one Unicode form, so the same
        // words typed on two systems give the same key.
        let normalized = Array(passphrase.precomposedStringWithCanonicalMapping.utf8)
        return try KDF.Scrypt.deriveKey(from: normalized, salt: salt, outputByteCount: 32, rounds: 1 << logN, blockSize: r, parallelism: p,
                                        maxMemory: Self.maximumMemory + 1 << 20)
    }
}
