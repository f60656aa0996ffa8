import Testing
@testable import TandemTerminal

@Suite struct GridTests {
    @Test func drawsAndTruncatesWithAnEllipsis() {
        var grid = Grid(width: 12, height: 2)
        grid.put("friends/alice", x: 0, y: 0)
        grid.put("ok", x: 2, y: 1)
        #expect(grid.lines == ["friends/ali…", "  ok"])
    }

    @Test func wideCharactersTakeTwoColumnsAndNeverStraddleTheEdge() {
        var grid = Grid(width: 7, height: 2)
        #expect(grid.put("名前ab", x: 0, y: 0) == 6)
        grid.put("名前名前", x: 0, y: 1)
        #expect(grid.lines == ["名前ab", "名前名…"])
        #expect(grid[1, 0].width == 0)
    }

    @Test func combiningCharactersStayWithTheirBase() {
        var grid = Grid(width: 6, height: 1)
        #expect(grid.put("e\u{301}te\u{301}", x: 0, y: 0) == 3)
        #expect(grid.lines == ["e\u{301}te\u{301}"])
    }

    @Test func controlCharactersAndEscapeSequencesAreShownEscaped() {
        var grid = Grid(width: 30, height: 1)
        grid.put("x\u{1b}]0;pwned\u{07}y\nz", x: 0, y: 0)
        #expect(grid.lines == ["x\\e]0;pwned\\u{7}y\\nz"])
        #expect(!grid.cells.contains { $0.symbol.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } })
    }

    @Test func bidiOverridesC1ControlsAndInvisibleCharactersAreShownEscaped() {
        var grid = Grid(width: 60, height: 1)
        grid.put("a\u{202E}b\u{9B}31mc\u{200B}d\u{FEFF}e\u{2066}f", x: 0, y: 0)
        #expect(grid.lines == ["a\\u{202e}b\\u{9b}31mc\\u{200b}d\\u{feff}e\\u{2066}f"])
    }

    @Test func emojiAreWide() {
        #expect(CellWidth.of("😀" as Character) == 2)
        #expect(CellWidth.of("✓" as Character) == 1)
        #expect(CellWidth.of("⚠️" as Character) == 2)
        #expect(CellWidth.of("한국어") == 6)
    }
}
