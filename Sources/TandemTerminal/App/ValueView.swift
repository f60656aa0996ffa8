import TandemCore

/// An entry's whole value, with every version of it, read like a pager:
/// lines wrap to the screen, PgUp/PgDn scroll, `/` finds a word.
public struct ValueView: Sendable, Equatable {
    /// How a line is drawn.
    public enum Tone: Sendable, Equatable {
        case plain, heading, added, removed, dim
    }

    public struct Line: Sendable, Equatable {
        public var text: String
        public var tone: Tone
    }

    public var title: String
    public var lines: [Line]
    /// The first wrapped row on screen.
    public var top = 0
    /// The word last searched for, and the line it was found on.
    public var search: String?
    public var foundLine: Int?

    public init(title: String, lines: [Line]) {
        self.title = title
        self.lines = lines
    }

    /// The rows the lines make at `width`, each with the line it comes from.
    public func rows(width: Int) -> [(text: String, tone: Tone, line: Int)] {
        var rows: [(String, Tone, Int)] = []
        for (index, line) in lines.enumerated() {
            // Escaped before it is wrapped, so that a piece fits as it is drawn.
            for piece in Self.wrap(Escaped.text(line.text), width: max(1, width)) { rows.append((piece, line.tone, index)) }
        }
        return rows
    }

    /// Rows of the view's box at a terminal of `size`: the box leaves the
    /// header, tabs, message line and bar, and its own title and frame.
    static func textWidth(_ size: TerminalSize) -> Int { size.width - 4 }
    static func pageHeight(_ size: TerminalSize) -> Int { max(1, size.height - 7) }

    /// Scrolls by `delta` rows, kept within the text.
    mutating func scroll(by delta: Int, size: TerminalSize) {
        let count = rows(width: Self.textWidth(size)).count
        top = max(0, min(max(0, count - Self.pageHeight(size)), top + delta))
    }

    /// Finds `word` (ignoring case) in the line after the last found one,
    /// or before it when `backwards`, wrapping round; scrolls to it.
    mutating func find(_ word: String, backwards: Bool = false, size: TerminalSize) -> Bool {
        let needle = word.lowercased()
        guard !needle.isEmpty, !lines.isEmpty else { return false }
        search = word
        let start = foundLine ?? (backwards ? 0 : -1)
        let order = (1...lines.count).map { step in (start + (backwards ? -step : step) + lines.count * 2) % lines.count }
        guard let line = order.first(where: { lines[$0].text.lowercased().contains(needle) }) else { return false }
        foundLine = line
        let rows = rows(width: Self.textWidth(size))
        let row = rows.firstIndex { $0.line == line } ?? 0
        top = max(0, min(max(0, rows.count - Self.pageHeight(size)), row))
        return true
    }

    /// Splits `text` into pieces of at most `width` cells.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard CellWidth.of(text) > width else { return [text] }
        var pieces: [String] = []
        var piece = ""
        var used = 0
        for character in text {
            let cells = CellWidth.of(String(character))
            if used + cells > width && !piece.isEmpty {
                pieces.append(piece)
                piece = ""
                used = 0
            }
            piece.append(character)
            used += cells
        }
        if !piece.isEmpty { pieces.append(piece) }
        return pieces
    }

    /// The view of an entry as the screen it is opened from shows it: on the
    /// incoming screen the whole diff first; every version of it, each named
    /// by whose it is.
    static func of(_ entry: EntryStatus, on screen: Screen, _ snapshot: Snapshot) -> ValueView {
        let name = Escaped.entry(entry.context, entry.key)
        var lines: [Line] = []
        if screen == .incoming, let version = entry.unseen.first {
            lines.append(Line(text: "the change from \(snapshot.name(version.origin)), \(snapshot.age(version.timestamp.wallMillis)):", tone: .heading))
            for (text, sign) in lineDiff(valueLines(entry.local?.value, absent: "(absent)"), valueLines(version.value)) {
                lines.append(Line(text: text, tone: sign > 0 ? .added : sign < 0 ? .removed : .plain))
            }
            lines.append(Line(text: "", tone: .plain))
        }
        let here = entry.local.map { "this device's value (written by \(snapshot.name($0.origin)), \(snapshot.age($0.timestamp.wallMillis))):" }
            ?? "this device's value:"
        lines.append(Line(text: here, tone: .heading))
        lines += valueLines(entry.local?.value, absent: entry.local == nil ? "(absent)" : "(deleted)").map { Line(text: $0, tone: .plain) }
        let labels = VersionLabels(entry.unseen, snapshot)
        for (index, version) in entry.unseen.enumerated() {
            lines.append(Line(text: "", tone: .plain))
            let count = entry.unseen.count > 1 ? "version \(index + 1) of \(entry.unseen.count), " : ""
            lines.append(Line(text: "\(count)from \(labels[index]), \(snapshot.age(version.timestamp.wallMillis)):", tone: .heading))
            lines += valueLines(version.value).map { Line(text: $0, tone: .plain) }
        }
        return ValueView(title: "\(name) · \(entry.state.rawValue)", lines: lines)
    }
}

extension ValueView {
    /// Every key of every mode, from the key map: this screen's first, then
    /// those of every screen, the prompt, questions, this view and typing.
    static func help(for state: AppState) -> ValueView {
        let demo = state.snapshot?.demo != nil
        let bindings = KeyMap.bindings.filter { demo || !$0.demoOnly }
        let groups: [(String, (Binding) -> Bool)] = [
            ("On this screen (\(state.screen.title))", { $0.modes?.contains(.screen(state.screen)) == true }),
            ("On every screen", { $0.modes == nil }),
            ("On other screens", { $0.onScreens && $0.modes != nil && $0.modes?.contains(.screen(state.screen)) != true }),
            ("In the review prompt", { $0.modes == [.prompt] }),
            ("In a question", { $0.modes == [.confirm] }),
            ("In this view and the value view (Enter)", { $0.modes == [.valueView] }),
            ("While typing (filter, names, search)", { $0.modes == [.textEntry] }),
        ]
        var lines: [Line] = []
        for (title, belongs) in groups {
            let members = bindings.filter(belongs)
            guard !members.isEmpty else { continue }
            if !lines.isEmpty { lines.append(Line(text: "", tone: .plain)) }
            lines.append(Line(text: title, tone: .heading))
            for binding in members {
                let keys = binding.keys.isEmpty ? binding.label : binding.keys.map(\.description).joined(separator: " ")
                let scope = title == "On other screens" ? binding.scope : ""
                lines.append(Line(text: pad(keys, 14) + binding.description + scope, tone: .plain))
            }
        }
        return ValueView(title: "Keys", lines: lines)
    }
}
