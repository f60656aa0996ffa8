import Crypto
import Foundation

/// The 24 words that spell a vault key (BIP-39: 256 bits of key and an 8-bit
/// checksum, 11 bits a word). Written down once at `tandem init`, they open
/// the vault when the passphrase is lost.
public enum RecoveryPhrase {
    public static let wordCount = 24

    /// The phrase of `key`.
    public static func words(for key: VaultKey) -> [String] {
        let checksum = Array(SHA256.hash(data: key.bytes))[0]
        let bits = key.bytes + [checksum]
        return (0..<wordCount).map { index in
            RecoveryWords.english[Int(bits: bits, from: index * 11, count: 11)]
        }
    }

    /// The key a phrase spells. Words may be separated by any white space, in
    /// any case, numbered ("1. abandon") and shortened to their first four
    /// letters, which the list makes unique. Throws `wrongRecoveryPhrase`
    /// saying which word is wrong, or that the checksum does not match.
    public static func key(from phrase: String) throws(TandemError) -> VaultKey {
        let tokens = phrase.lowercased()
            .split(whereSeparator: { $0.isWhitespace || $0 == "," })
            .map(String.init)
            .filter { !$0.allSatisfy { $0.isNumber || $0 == "." || $0 == ")" } }
        guard tokens.count == wordCount else {
            throw .wrongRecoveryPhrase(reason: "a recovery phrase has \(wordCount) words; this one has \(tokens.count)")
        }
        var indices: [Int] = []
        for (position, token) in tokens.enumerated() {
            guard let index = index(of: token) else {
                // The word is not repeated: a typo is usually one letter from the real word.
                throw .wrongRecoveryPhrase(reason: "word \(position + 1) is not in the recovery word list")
            }
            indices.append(index)
        }
        var bits = [UInt8](repeating: 0, count: 33)
        for (position, index) in indices.enumerated() {
            for bit in 0..<11 where index & (1 << (10 - bit)) != 0 {
                let offset = position * 11 + bit
                bits[offset / 8] |= 0x80 >> UInt8(offset % 8)
            }
        }
        let keyBytes = Array(bits[0..<32])
        guard Array(SHA256.hash(data: keyBytes))[0] == bits[32], let key = VaultKey(bytes: keyBytes) else {
            throw .wrongRecoveryPhrase(reason: "the words do not add up (checksum mismatch): one of them is wrong or out of order")
        }
        return key
    }

    /// Every word, and the first four letters of every word (unique in the list).
    private static let lookup: [String: Int] = {
        var table: [String: Int] = [:]
        for (index, word) in RecoveryWords.english.enumerated() {
            table[word] = index
            table[String(word.prefix(4))] = index
        }
        return table
    }()

    private static func index(of token: String) -> Int? {
        lookup[token]
    }
}

private extension Int {
    /// `count` bits of `bits` (most significant first) starting at bit `from`.
    init(bits: [UInt8], from start: Int, count: Int) {
        var value = 0
        for offset in start..<(start + count) {
            let bit = (bits[offset / 8] >> UInt8(7 - offset % 8)) & 1
            value = value << 1 | Int(bit)
        }
        self = value
    }
}
