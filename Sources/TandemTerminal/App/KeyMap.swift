import TandemCore

/// What a key does; the reducer interprets it.
public enum Command: Hashable, Sendable {
    case up, down, pageUp, pageDown, top, bottom
    case nextPane, previousPane, open, back
    case show(Screen)
    case sync, help, quit, filter
    case decide(Decision), later, decideAll(Decision)
    case keepLocal, takeRemote, merge, undo
    /// On a conflict: choose which of the other versions `t` takes.
    case nextVersion, previousVersion
    case newEntry, editEntry, deleteEntry
    case newSnapshot
    /// The demo's controls.
    case nextDevice, openDevice, togglePause, faster, slower, toggleOnline, reinstall
}

/// One key binding: the keys, what the bar shows, what it does, where it works.
public struct Binding: Sendable {
    public var keys: [Key]
    public var label: String
    public var description: String
    public var command: Command
    /// Screens where it works; nil means everywhere.
    public var screens: Set<Screen>?
    /// Shown in the bottom bar (the help overlay lists every binding).
    public var inBar: Bool
    /// Works only in `tandem demo`, where the other devices are simulated.
    public var demoOnly: Bool

    init(_ keys: [Key], _ label: String, _ description: String, _ command: Command, on screens: Set<Screen>? = nil, bar: Bool = true,
         demo: Bool = false) {
        self.keys = keys
        self.label = label
        self.description = description
        self.command = command
        self.screens = screens
        self.inBar = bar
        self.demoOnly = demo
    }

    func works(on screen: Screen, demo: Bool) -> Bool {
        (demo || !demoOnly) && (screens == nil || screens!.contains(screen))
    }
}

/// Every key binding, in one place: it drives the reducer, the bottom bar and
/// the help overlay, so the bar can never list a key that does nothing.
public enum KeyMap {
    public static let bindings: [Binding] = [
        Binding([.character("k"), .up], "↑↓/jk", "move up", .up, bar: false),
        Binding([.character("j"), .down], "↑↓/jk", "move", .down),
        Binding([.pageUp, .control("b")], "PgUp", "page up", .pageUp, bar: false),
        Binding([.pageDown, .control("f")], "PgDn", "page down", .pageDown, bar: false),
        Binding([.character("g"), .home], "g/G", "first", .top, bar: false),
        Binding([.character("G"), .end], "G", "last", .bottom, bar: false),
        Binding([.tab, .character("l"), .right], "Tab", "next pane", .nextPane, on: [.entries]),
        Binding([.backTab, .character("h"), .left], "S-Tab", "previous pane", .previousPane, on: [.entries], bar: false),
        Binding([.enter], "Enter", "open", .open, on: [.entries]),
        Binding([.escape], "Esc", "back", .back, bar: false),
        Binding([.character("/")], "/", "filter", .filter, on: [.entries]),
        Binding([.character("a")], "a", "accept", .decide(.accept), on: [.incoming, .entries]),
        Binding([.character("r")], "r", "refuse", .decide(.refuse), on: [.incoming, .entries]),
        Binding([.character("o")], "o", "keep mine everywhere", .decide(.keepMine), on: [.incoming, .entries]),
        Binding([.character("l")], "l", "later", .later, on: [.incoming]),
        Binding([.character("u")], "u", "undo", .undo, on: [.incoming]),
        Binding([.character("A")], "A", "accept all shown", .decideAll(.accept), on: [.incoming]),
        Binding([.character("R")], "R", "refuse all shown", .decideAll(.refuse), on: [.incoming]),
        Binding([.character("m")], "m", "keep this device's value", .keepLocal, on: [.conflicts]),
        Binding([.character("t")], "t", "take the chosen version's value", .takeRemote, on: [.conflicts]),
        Binding([.character("]")], "[ ]", "choose the next or previous version", .nextVersion, on: [.conflicts]),
        Binding([.character("[")], "[", "choose the previous version", .previousVersion, on: [.conflicts], bar: false),
        Binding([.character("e")], "e", "merge in $EDITOR", .merge, on: [.conflicts]),
        // After each screen's own actions in the bar; the same key on every review screen.
        Binding([.character("u")], "u", "undo", .undo, on: [.conflicts, .outgoing, .entries]),
        Binding([.character("n")], "n", "new entry", .newEntry, on: [.entries]),
        Binding([.character("n")], "n", "snapshot a folder", .newSnapshot, on: [.snapshots]),
        Binding([.character("e")], "e", "edit in $EDITOR", .editEntry, on: [.entries]),
        Binding([.character("x")], "x", "delete", .deleteEntry, on: [.entries]),
        Binding([.character("1")], "1-7", "screens", .show(.entries)),
        Binding([.character("2")], "2", "incoming", .show(.incoming), bar: false),
        Binding([.character("3")], "3", "conflicts", .show(.conflicts), bar: false),
        Binding([.character("4")], "4", "outgoing", .show(.outgoing), bar: false),
        Binding([.character("5")], "5", "devices", .show(.devices), bar: false),
        Binding([.character("6")], "6", "log", .show(.log), bar: false),
        Binding([.character("7")], "7", "snapshots", .show(.snapshots), bar: false),
        Binding([.character("v")], "v", "view next device", .nextDevice, demo: true),
        Binding([.enter], "Enter", "view it", .openDevice, on: [.devices], demo: true),
        Binding([.character("o")], "o", "offline/online", .toggleOnline, on: [.devices], demo: true),
        Binding([.character("I")], "I", "reinstall it", .reinstall, on: [.devices], demo: true),
        Binding([.character("p")], "p", "pause devices", .togglePause, demo: true),
        Binding([.character("+")], "+", "devices faster", .faster, bar: false, demo: true),
        Binding([.character("-")], "-", "devices slower", .slower, bar: false, demo: true),
        Binding([.character("s")], "s", "sync now", .sync),
        Binding([.character("?")], "?", "help", .help),
        Binding([.character("q"), .control("c")], "q", "quit", .quit),
    ]

    /// The binding of `key` on `screen`; screen-specific bindings win.
    public static func binding(for key: Key, on screen: Screen, demo: Bool = false) -> Binding? {
        bindings.first { $0.keys.contains(key) && $0.screens != nil && $0.works(on: screen, demo: demo) }
            ?? bindings.first { $0.keys.contains(key) && $0.screens == nil && $0.works(on: screen, demo: demo) }
    }

    /// What the bar shows on `screen`: the keys of this screen first, so that
    /// a narrow bar drops the ones that work everywhere.
    public static func bar(for screen: Screen, demo: Bool = false) -> [Binding] {
        let shown = bindings.filter { $0.inBar && $0.works(on: screen, demo: demo) && binding(for: $0.keys[0], on: screen, demo: demo)?.command == $0.command }
        return shown.filter { $0.screens != nil } + shown.filter { $0.screens == nil }
    }
}
