import TandemCore

/// The styles views draw with, read from a theme file (see ``ThemeLoader``).
public struct Theme: Sendable, Equatable {
    public var header: Style
    public var tab: Style
    public var activeTab: Style
    public var selected: Style
    public var dim: Style
    public var title: Style
    public var added: Style
    public var removed: Style
    public var bar: Style
    public var barKey: Style
    public var marks: [EntryState: Style]

    /// The default theme (Themes/dark.toml).
    public static let dark = builtin("dark")
    /// No colour at all (Themes/monochrome.toml), for NO_COLOR and terminals
    /// without colours: marks, bold and reverse video carry the meaning.
    public static let monochrome = builtin("monochrome")

    /// Plain text with reverse video for the selection: what is left if a
    /// built-in theme could not be read (a test makes sure they all can).
    static let fallback = Theme(header: Style(reverse: true), tab: .plain, activeTab: Style(reverse: true), selected: Style(reverse: true),
                                dim: .plain, title: .plain, added: .plain, removed: .plain, bar: .plain, barKey: .plain, marks: [:])

    private static func builtin(_ name: String) -> Theme {
        guard let text = BuiltinThemes.files[name], let theme = try? ThemeLoader.parse(text, file: "Themes/\(name).toml") else { return fallback }
        return theme
    }

    /// The same theme without any colour, keeping bold, underline, reverse and dim.
    public var withoutColor: Theme {
        func strip(_ style: Style) -> Style {
            var style = style
            style.foreground = .terminalDefault
            style.background = .terminalDefault
            return style
        }
        var selected = strip(self.selected)
        if self.selected.background != .terminalDefault && !self.selected.reverse { selected.reverse = true }
        return Theme(header: strip(header), tab: strip(tab), activeTab: strip(activeTab), selected: selected, dim: strip(dim),
                     title: strip(title), added: strip(added), removed: strip(removed), bar: strip(bar), barKey: strip(barKey),
                     marks: marks.mapValues(strip))
    }

    func mark(_ state: EntryState) -> Style {
        marks[state] ?? .plain
    }
}
