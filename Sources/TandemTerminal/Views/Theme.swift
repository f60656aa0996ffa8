import TandemCore

/// The styles views draw with. Themes files come later; this is the default.
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

    public static let dark = Theme(
        header: Style(foreground: .ansi(15), background: .ansi(4), bold: true),
        tab: Style(foreground: .ansi(7)),
        activeTab: Style(foreground: .ansi(0), background: .ansi(6), bold: true),
        selected: Style(reverse: true),
        dim: Style(dim: true),
        title: Style(bold: true, underline: true),
        added: Style(foreground: .ansi(2)),
        removed: Style(foreground: .ansi(1)),
        bar: Style(foreground: .ansi(7)),
        barKey: Style(foreground: .ansi(3), bold: true),
        marks: [.inSync: Style(foreground: .ansi(2)), .outgoing: Style(foreground: .ansi(6)), .incoming: Style(foreground: .ansi(3), bold: true),
                .conflict: Style(foreground: .ansi(1), bold: true), .refused: Style(foreground: .ansi(5))])

    /// No colour at all (NO_COLOR, or a terminal without colours): marks and
    /// reverse video carry the meaning.
    public static let monochrome = Theme(
        header: Style(bold: true, reverse: true), tab: .plain, activeTab: Style(bold: true, reverse: true), selected: Style(reverse: true),
        dim: Style(dim: true), title: Style(bold: true, underline: true), added: Style(bold: true), removed: Style(dim: true),
        bar: .plain, barKey: Style(bold: true), marks: [:])

    func mark(_ state: EntryState) -> Style {
        marks[state] ?? .plain
    }
}
