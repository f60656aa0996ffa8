import Testing
@testable import TandemCore

@Suite struct CanonicalJSONTests {
    @Test func sortsKeysAndDropsWhitespace() throws {
        #expect(try Validation.canonicalValue(#" { "b" : [1, 2.50, {"z":null,"a":true}], "a": "x" } "#)
                == #"{"a":"x","b":[1,2.50,{"a":true,"z":null}]}"#)
    }

    @Test func keepsNumbersAsWritten() throws {
        #expect(try Validation.canonicalValue("123456789012345678901234567890") == "123456789012345678901234567890")
        #expect(try Validation.canonicalValue("-0.5e+10") == "-0.5e+10")
    }

    @Test func escapesStringsMinimally() throws {
        #expect(try Validation.canonicalValue(#""a\/b\u00e9\n\u001b""#) == "\"a/bé\\n\\u001b\"")
        #expect(try Validation.canonicalValue(#""\ud83d\ude00""#) == "\"😀\"")
        // Escapes first, last, side by side, and none at all, beside text outside ASCII.
        #expect(try Validation.canonicalValue(#"["\"é", "é\\", "\n\t", "plain ✓", ""]"#) == #"["\"é","é\\","\n\t","plain ✓",""]"#)
    }

    @Test(arguments: ["", "{", "[1,]", "{'a':1}", "01", "1.", "tru", "\"\u{01}\"", "{\"a\" 1}", "[1] 2", "NaN", "\"\\ud800\""])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: TandemError.self) { try Validation.canonicalValue(text) }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: TandemError.self) { try Validation.canonicalValue(deep) }
    }

    @Test func enforcesTheSizeLimit() {
        #expect(throws: TandemError.valueTooLarge(bytes: 12, limit: 10)) {
            try Validation.canonicalValue("\"0123456789\"", maxBytes: 10)
        }
    }

    @Test func lastRepeatedKeyWins() throws {
        #expect(try Validation.canonicalValue(#"{"a":1,"a":2}"#) == #"{"a":2}"#)
    }
}

@Suite struct ValidationTests {
    @Test(arguments: ["friends", "a", "app.settings_v2-x", String(repeating: "a", count: 64)])
    func acceptsGoodContextNames(_ name: String) throws {
        #expect(try Validation.contextName(name) == name)
    }

    @Test(arguments: ["", "Friends", "a/b", "../x", "a b", String(repeating: "a", count: 65), "é"])
    func refusesBadContextNames(_ name: String) {
        #expect(throws: TandemError.invalidContextName(name)) { try Validation.contextName(name) }
    }

    @Test(arguments: ["alice", "a/b/../c", "名前", "with space", String(repeating: "k", count: 512)])
    func acceptsKeys(_ key: String) throws {
        #expect(try Validation.key(key) == key)
    }

    @Test(arguments: ["", "a\u{0}b", "line\nbreak", "esc\u{1b}]0;pwned\u{07}", "del\u{7f}", String(repeating: "k", count: 513)])
    func refusesKeys(_ key: String) {
        #expect(throws: TandemError.self) { try Validation.key(key) }
    }

    @Test func errorsShowControlCharactersEscaped() {
        let message = TandemError.invalidKey("a\u{1b}]0;x\u{07}", reason: "r").description
        #expect(!message.contains("\u{1b}"))
        #expect(message.contains("\\e]0;x"))
    }
}

@Suite struct UTF8CheckTests {
    @Test(arguments: [
        ([0x6B, 0xC3] as [UInt8], 1 as Int?), ([0x6B, 0xFE], 1), ([0x80], 0), ([0x61, 0xED, 0xA0, 0x80], 1),
        ([0x6E, 0xC0, 0xAF], 1), ([0x6B, 0xC3, 0xA9, 0xF4, 0x90, 0x80, 0x80], 3), ([0x6B, 0xC3, 0xA9], nil), ([], nil),
    ])
    func findsTheFirstByteThatIsNotUTF8(bytes: [UInt8], offset: Int?) {
        #expect(Validation.invalidUTF8Offset(bytes) == offset)
    }

    @Test func showsInvalidBytesAsHexAndEscapesTheRest() {
        #expect(Validation.showingInvalidUTF8([0x6B, 0xC3, 0x1B, 0xC3, 0xA9, 0x0F]) == "k\\xc3\\eé\\u{f}")
    }
}

@Suite struct EscapedTests {
    @Test func jsonKeepsItsNewlinesAndEscapesTheRestAsUTF16() {
        #expect(Escaped.json("{\n  \"k\": \"a\u{202E}\u{9B}\u{E0041}\"\n}") == "{\n  \"k\": \"a\\u202e\\u009b\\udb40\\udc41\"\n}")
    }

    @Test func anEntryIsNamedOneWayAndQuotedOnlyWhenItsKeyCouldBeMisread() {
        #expect(Escaped.entry("friends", "alice") == "friends/alice")
        #expect(Escaped.entry("friends", "a/b") == "friends/a/b")
        #expect(Escaped.entry("friends", "two words") == #"friends/"two words""#)
        #expect(Escaped.entry("friends", "") == #"friends/"""#)
        #expect(Escaped.entry("friends", #"say "hi""#) == #"friends/"say \"hi\"""#)
        #expect(Escaped.entry("friends", "a\u{1B}[2J") == "friends/a\\e[2J")
        #expect(Escaped.entry("friends", #"a\" b"#) == #"friends/"a\\\" b""#)
        #expect(Escaped.entry("friends", "a\tb") == #"friends/"a\tb""#, "a tab is whitespace: quoted, and escaped once")
        #expect(EntryName(context: "friends", key: "bob").description == "friends/bob")
        #expect(TandemError.noSuchEntry(context: "friends", key: "alice").description == "no entry friends/alice")
    }

    @Test func plainTextIsLeftAsItIs() {
        #expect(Escaped.text("名前 é ✓ 😀") == "名前 é ✓ 😀")
        #expect(Escaped.text("a\u{2028}b\u{AD}c\u{61C}") == "a\\u{2028}b\\u{ad}c\\u{61c}")
    }

    @Test func joinersShowBetweenEmojiAndInWordsThatNeedThemButNotBetweenASCII() {
        let family = "👨\u{200D}👩\u{200D}👧"
        #expect(Escaped.text(family) == family)
        #expect(Escaped.json(family) == family)
        #expect(Escaped.text("می\u{200C}خواهم") == "می\u{200C}خواهم")
        #expect(Escaped.text("a\u{200D}b") == "a\\u{200d}b")
        #expect(Escaped.text("\u{200D}😀") == "\\u{200d}😀")
        #expect(Escaped.text("😀\u{200D} x") == "😀\\u{200d} x")
    }
}
