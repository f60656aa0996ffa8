import TandemCore

/// One cell of the screen: the grapheme it shows, how many columns that
/// takes, and its style. The column after a wide grapheme holds a
/// continuation cell (width 0, empty symbol).
public struct Cell: Hashable, Sendable {
    public var symbol: String
    public var width: UInt8
    public var style: Style

    public static let blank = Cell(symbol: " ", width: 1, style: .plain)
    static let continuation = Cell(symbol: "", width: 0, style: .plain)
}

/// A rectangle of the grid.
public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }
}

/// The screen as plain data: views draw here and know nothing of terminals;
/// a backend copies it to the terminal, tests read it as lines of text.
public struct Grid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Fills a rectangle with spaces of `style`.
    public mutating func fill(_ rect: Rect, style: Style = .plain) {
        for y in max(0, rect.y)..<min(height, rect.y + rect.height) {
            for x in max(0, rect.x)..<min(width, rect.x + rect.width) {
                cells[y * width + x] = Cell(symbol: " ", width: 1, style: style)
            }
        }
    }

    /// Draws `text` on one row from column `x`, in at most `maxWidth` columns.
    /// Control characters, escape sequences and invisible or reordering
    /// format characters are shown escaped by `Escaped.text` (`\e`, `\n`,
    /// `\u{202e}`), the function every command's output goes through, never
    /// passed on; text that does not fit ends in "…"; a wide character
    /// that would straddle the edge is left out. Returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, style: Style = .plain) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - x)
        guard limit > 0 else { return 0 }
        let safe = Escaped.text(text)
        let characters = Array(safe)
        let total = characters.reduce(0) { $0 + CellWidth.of($1) }
        let available = total <= limit ? limit : limit - 1
        var column = x
        for character in characters {
            let columns = CellWidth.of(character)
            if columns == 0 { continue }
            guard column + columns - x <= available else { break }
            if column >= 0 {
                cells[y * width + column] = Cell(symbol: String(character), width: UInt8(columns), style: style)
                if columns == 2 { cells[y * width + column + 1] = .continuation }
            }
            column += columns
        }
        if total > limit {
            cells[y * width + column] = Cell(symbol: "…", width: 1, style: style)
            column += 1
        }
        return column - x
    }

    /// The rows as text, trailing spaces removed: what tests compare.
    public var lines: [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width { line += self[x, y].symbol }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// The whole screen as one string, for a failing test to print.
    public var text: String {
        lines.joined(separator: "\n")
    }
}
