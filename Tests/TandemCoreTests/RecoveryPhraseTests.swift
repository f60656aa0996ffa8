import Crypto
import Foundation
import Testing
@testable import TandemCore

@Suite struct RecoveryPhraseTests {
    /// The list must be BIP-39's English list byte for byte, or phrases
    /// written down elsewhere would not open the vault.
    @Test func theWordListIsBIP39English() {
        #expect(RecoveryWords.english.count == 2048)
        let file = RecoveryWords.english.joined(separator: "\n") + "\n"
        #expect(Digest.hex(Digest.sha256(Array(file.utf8))) == "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda")
    }

    /// Test vectors of the BIP-39 reference implementation (256-bit entropy).
    @Test(arguments: [
        (UInt8(0x00), String(repeating: "abandon ", count: 23) + "art"),
        (UInt8(0x7f), Array(repeating: "legal winner thank year wave sausage worth useful", count: 3).joined(separator: " ").replacingOccurrences(of: "useful$", with: "title", options: .regularExpression)),
        (UInt8(0x80), Array(repeating: "letter advice cage absurd amount doctor acoustic avoid", count: 3).joined(separator: " ").replacingOccurrences(of: "avoid$", with: "bless", options: .regularExpression)),
        (UInt8(0xff), String(repeating: "zoo ", count: 23) + "vote"),
    ])
    func referenceVectors(byte: UInt8, phrase: String) throws {
        let key = try #require(VaultKey(bytes: [UInt8](repeating: byte, count: 32)))
        #expect(RecoveryPhrase.words(for: key).joined(separator: " ") == phrase)
        #expect(try RecoveryPhrase.key(from: phrase) == key)
    }

    @Test func aRandomKeyRoundTripsInAnyWrittenForm() throws {
        for _ in 0..<20 {
            let key = VaultKey.random()
            let words = RecoveryPhrase.words(for: key)
            #expect(words.count == 24)
            #expect(try RecoveryPhrase.key(from: words.joined(separator: " ")) == key)
            let numbered = words.enumerated().map { "\($0.offset + 1). \($0.element.prefix(4).uppercased())" }.joined(separator: "\n")
            #expect(try RecoveryPhrase.key(from: numbered) == key)
        }
    }

    @Test func wrongPhrasesSayWhatIsWrong() throws {
        let words = RecoveryPhrase.words(for: VaultKey.random())
        #expect(throws: TandemError.wrongRecoveryPhrase(reason: "a recovery phrase has 24 words; this one has 23")) {
            try RecoveryPhrase.key(from: words.dropLast().joined(separator: " "))
        }
        var unknown = words
        unknown[6] = "tandemx"
        #expect(throws: TandemError.wrongRecoveryPhrase(reason: "word 7 is not in the recovery word list")) {
            try RecoveryPhrase.key(from: unknown.joined(separator: " "))
        }
        // Changing one word breaks the checksum unless, one time in 256, the
        // change keeps it: try words until one does not.
        var caught = 0
        for replacement in ["abandon", "zoo", "legal", "vote"] where replacement != words[0] {
            var changed = words
            changed[0] = replacement
            do { _ = try RecoveryPhrase.key(from: changed.joined(separator: " ")) } catch {
                #expect(error.description.contains("checksum mismatch"))
                caught += 1
            }
        }
        #expect(caught >= 2)
    }
}
