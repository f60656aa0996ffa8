import TandemCore

/// Where the keys go: a screen, or what covers it.
public enum Mode: Hashable, Sendable {
    case screen(Screen)
    case prompt, confirm, textEntry, valueView
}

/// What a key does; the reducer interprets it.
public enum Command: Hashable, Sendable {
    case up, down, pageUp, pageDown, top, bottom
    /// Tab: the other pane of the entries screen; l and h: the right or left one.
    case otherPane, nextPane, previousPane, back
    /// Enter: into the entries from the contexts, else the whole value.
    case open
    case show(Screen)
    case sync, help, quit, filter
    case decide(Decision), later, decideAll(Decision)
    /// Space: marks the change for `A` and `R`, or unmarks it.
    case mark
    case keepLocal, takeRemote, merge, undo
    /// On a conflict: choose which of the other versions `t` takes.
    case nextVersion, previousVersion
    case newEntry, editEntry, deleteEntry
    case newSnapshot
    /// The log: errors only, or every line.
    case errorsOnly
    /// The demo's controls.
    case nextDevice, openDevice, togglePause, faster, slower, toggleOnline, reinstall
    /// The review prompt.
    case promptDecide(Decision), promptLater, promptDiff, promptStop, promptHint
    /// A confirmation: only `y` does it.
    case confirm, cancel
    /// Closes help or the value view.
    case close
    /// The value view's search.
    case search, nextMatch, previousMatch
    /// A line of text being typed.
    case type, erase, submit, cancelText
}

/// What must hold where the cursor is for a key to do something: the bar
/// lists a key only when it does.
public enum Need: Sendable {
    case nothing
    /// A row is selected.
    case row
    /// The list has more than one row (or the contexts pane has the cursor).
    case severalRows
    /// The selected row waits for a decision (incoming or refused).
    case undecided
    /// The selected row is a conflict.
    case conflict
    /// The selected conflict has more than one other version.
    case severalVersions
    /// The list shows incoming changes.
    case incomingShown
    /// The selected row has a value here to edit or delete.
    case value
    /// In the value view: a word was searched for.
    case searched

    func holds(in state: AppState) -> Bool {
        switch self {
        case .nothing: return true
        case .row: return state.rowCount > 0
        case .severalRows: return state.rowCount > 1 || (state.screen == .entries && state.focus == .contexts && state.contextNames.count > 1)
        case .undecided: return [.incoming, .refused].contains(state.selectedRow?.state)
        case .conflict: return state.selectedRow?.state == .conflict
        case .severalVersions: return state.selectedRow?.state == .conflict && (state.selectedDetail?.unseen.count ?? 0) > 1
        case .incomingShown: return state.rows.contains { $0.state == .incoming }
        case .value: return state.selectedRow.map { $0.preview != nil || $0.state == .conflict } ?? false
        case .searched:
            if case .value(let view)? = state.modal { return view.search != nil }
            return false
        }
    }
}

/// One key binding: the keys, what the bar shows, what it does, where it works.
public struct Binding: Sendable {
    public var keys: [Key]
    public var label: String
    public var description: String
    public var command: Command
    /// The modes where it works; for screens, nil means every screen.
    public var modes: Set<Mode>?
    /// Shown in the bottom bar (the help overlay lists every binding).
    public var inBar: Bool
    /// Works only in `tandem demo`, where the other devices are simulated.
    public var demoOnly: Bool
    /// Takes any key no other binding of its mode takes.
    public var otherKeys: Bool
    public var needs: Need
    /// What a narrow bar says instead of `description`.
    public var short: String

    init(_ keys: [Key], _ label: String, _ description: String, _ command: Command, on screens: Set<Screen>? = nil, in mode: Mode? = nil,
         bar: Bool = true, demo: Bool = false, otherKeys: Bool = false, needs: Need = .nothing, short: String? = nil) {
        self.keys = keys
        self.label = label
        self.description = description
        self.short = short ?? description
        self.command = command
        self.modes = mode.map { [$0] } ?? screens.map { Set($0.map(Mode.screen)) }
        self.inBar = bar
        self.demoOnly = demo
        self.otherKeys = otherKeys
        self.needs = needs
    }

    /// True for a binding of the screens (not of a prompt, dialog or field).
    var onScreens: Bool {
        modes?.allSatisfy { if case .screen = $0 { true } else { false } } ?? true
    }

    func works(in mode: Mode, demo: Bool) -> Bool {
        guard demo || !demoOnly else { return false }
        if let modes { return modes.contains(mode) }
        if case .screen = mode { return true }
        return false
    }

    /// Where it works, for the help overlay.
    var scope: String {
        guard let modes else { return "" }
        let names = modes.map { mode -> (Int, String) in
            switch mode {
            case .screen(let screen): (screen.rawValue, screen.title)
            case .prompt: (10, "prompt")
            case .confirm: (11, "question")
            case .textEntry: (13, "typing")
            case .valueView: (14, "value view")
            }
        }
        return " (" + names.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: ", ") + ")"
    }
}

/// Every key binding of every mode, in one place: it drives the reducer,
/// the bottom bar and the help overlay, so the bar can never list a key
/// that does nothing.
public enum KeyMap {
    private static let review: Set<Screen> = [.entries, .incoming, .conflicts, .outgoing]
    private static let lists: Set<Screen> = [.entries, .incoming, .conflicts, .outgoing, .log]

    public static let bindings: [Binding] = [
        Binding([.character("k"), .up], "↑↓/jk", "move up", .up, bar: false),
        Binding([.character("j"), .down], "↑↓/jk", "move", .down, needs: .severalRows),
        Binding([.pageUp, .control("b")], "PgUp", "page up", .pageUp, bar: false),
        Binding([.pageDown, .control("f")], "PgDn", "page down", .pageDown, bar: false),
        Binding([.character("g"), .home], "g/G", "first", .top, bar: false),
        Binding([.character("G"), .end], "G", "last", .bottom, bar: false),
        Binding([.tab, .backTab], "Tab", "other pane", .otherPane, on: [.entries], short: "pane"),
        Binding([.character("l"), .right], "l/→", "to the entries", .nextPane, on: [.entries], bar: false),
        Binding([.character("h"), .left], "h/←", "to the contexts", .previousPane, on: [.entries], bar: false),
        Binding([.enter], "Enter", "whole value", .open, on: review, needs: .row, short: "value"),
        Binding([.enter], "Enter", "whole line", .open, on: [.log], needs: .row, short: "line"),
        Binding([.escape], "Esc", "back", .back, bar: false),
        Binding([.character("/")], "/", "filter", .filter, on: lists),
        Binding([.character("a")], "a", "accept", .decide(.accept), on: [.incoming, .entries], needs: .undecided),
        Binding([.character("r")], "r", "refuse", .decide(.refuse), on: [.incoming, .entries], needs: .undecided),
        Binding([.character("o")], "o", "keep mine everywhere", .decide(.keepMine), on: [.incoming, .entries], needs: .undecided, short: "mine"),
        Binding([.character("l")], "l", "later", .later, on: [.incoming], needs: .row),
        Binding([.character(" ")], "Space", "mark", .mark, on: [.incoming], needs: .row),
        Binding([.character("u")], "u", "undo", .undo, on: [.incoming]),
        Binding([.character("A")], "A", "accept all shown or marked", .decideAll(.accept), on: [.incoming], needs: .incomingShown, short: "all"),
        Binding([.character("R")], "R", "refuse all shown or marked", .decideAll(.refuse), on: [.incoming], needs: .incomingShown, short: "all"),
        Binding([.character("m")], "m", "keep this device's value", .keepLocal, on: [.conflicts], needs: .conflict, short: "mine"),
        Binding([.character("t")], "t", "take the chosen version's value", .takeRemote, on: [.conflicts], needs: .conflict, short: "take"),
        Binding([.character("]")], "[ ]", "choose the next or previous version", .nextVersion, on: [.conflicts], needs: .severalVersions, short: "choose"),
        Binding([.character("[")], "[", "choose the previous version", .previousVersion, on: [.conflicts], bar: false, needs: .severalVersions),
        Binding([.character("e")], "e", "merge in $EDITOR", .merge, on: [.conflicts], needs: .conflict, short: "merge"),
        // After each screen's own actions in the bar; the same key on every review screen.
        Binding([.character("u")], "u", "undo", .undo, on: [.conflicts, .outgoing, .entries]),
        Binding([.character("n")], "n", "new entry", .newEntry, on: [.entries]),
        Binding([.character("n")], "n", "snapshot a folder", .newSnapshot, on: [.snapshots]),
        Binding([.character("e")], "e", "edit in $EDITOR", .editEntry, on: [.entries], needs: .row, short: "edit"),
        Binding([.character("x")], "x", "delete", .deleteEntry, on: [.entries], needs: .value),
        Binding([.character("e")], "e", "errors only / all", .errorsOnly, on: [.log], short: "errors"),
        Binding([.character("1")], "1-7", "screens", .show(.entries)),
        Binding([.character("2")], "2", "incoming", .show(.incoming), bar: false),
        Binding([.character("3")], "3", "conflicts", .show(.conflicts), bar: false),
        Binding([.character("4")], "4", "outgoing", .show(.outgoing), bar: false),
        Binding([.character("5")], "5", "devices", .show(.devices), bar: false),
        Binding([.character("6")], "6", "log", .show(.log), bar: false),
        Binding([.character("7")], "7", "snapshots", .show(.snapshots), bar: false),
        Binding([.character("v")], "v", "view next device", .nextDevice, demo: true, short: "next device"),
        Binding([.enter], "Enter", "view it", .openDevice, on: [.devices], demo: true, needs: .row),
        Binding([.character("o")], "o", "offline/online", .toggleOnline, on: [.devices], demo: true, needs: .row),
        Binding([.character("I")], "I", "reinstall it", .reinstall, on: [.devices], demo: true, needs: .row),
        Binding([.character("p")], "p", "pause devices", .togglePause, demo: true),
        Binding([.character("+")], "+", "devices faster", .faster, bar: false, demo: true),
        Binding([.character("-")], "-", "devices slower", .slower, bar: false, demo: true),
        Binding([.character("s")], "s", "sync now", .sync),
        Binding([.character("?")], "?", "help", .help),
        Binding([.character("q"), .control("c")], "q", "quit", .quit),

        Binding([.character("a")], "a", "accept", .promptDecide(.accept), in: .prompt),
        Binding([.character("r")], "r", "refuse", .promptDecide(.refuse), in: .prompt),
        Binding([.character("o")], "o", "keep mine", .promptDecide(.keepMine), in: .prompt),
        Binding([.character("l")], "l", "later", .promptLater, in: .prompt),
        Binding([.character("d")], "d", "diff", .promptDiff, in: .prompt),
        Binding([.character("q"), .escape], "q", "stop", .promptStop, in: .prompt),
        Binding([], "other", "says which keys work", .promptHint, in: .prompt, bar: false, otherKeys: true),

        Binding([.character("y")], "y", "yes, do it", .confirm, in: .confirm),
        Binding([], "any other key", "cancel", .cancel, in: .confirm, otherKeys: true),

        Binding([.escape, .character("q"), .enter], "Esc/q", "close", .close, in: .valueView),
        Binding([.character("j"), .down], "↑↓/jk", "scroll", .down, in: .valueView),
        Binding([.character("k"), .up], "k", "scroll up", .up, in: .valueView, bar: false),
        Binding([.pageDown, .character(" "), .control("f")], "PgDn", "page down", .pageDown, in: .valueView, short: "page"),
        Binding([.pageUp, .character("b"), .control("b")], "PgUp", "page up", .pageUp, in: .valueView, short: "back"),
        Binding([.character("g"), .home], "g/G", "start/end", .top, in: .valueView),
        Binding([.character("G"), .end], "G", "end", .bottom, in: .valueView, bar: false),
        Binding([.character("/")], "/", "search", .search, in: .valueView),
        Binding([.character("n")], "n/N", "next/previous match", .nextMatch, in: .valueView, needs: .searched),
        Binding([.character("N")], "N", "previous match", .previousMatch, in: .valueView, bar: false, needs: .searched),

        Binding([.enter], "Enter", "done", .submit, in: .textEntry),
        Binding([.escape], "Esc", "cancel", .cancelText, in: .textEntry),
        Binding([.backspace], "Bksp", "erase", .erase, in: .textEntry, bar: false),
        Binding([], "text", "types it", .type, in: .textEntry, bar: false, otherKeys: true),
    ]

    /// The binding of `key` in `mode`; a screen's own bindings win over
    /// those of every screen, and a mode's catch-all comes last.
    public static func binding(for key: Key, in mode: Mode, demo: Bool = false) -> Binding? {
        bindings.first { $0.keys.contains(key) && $0.modes != nil && $0.works(in: mode, demo: demo) }
            ?? bindings.first { $0.keys.contains(key) && $0.modes == nil && $0.works(in: mode, demo: demo) }
            ?? bindings.first { $0.otherKeys && $0.works(in: mode, demo: demo) }
    }

    /// The binding of `key` on `screen` (no prompt, dialog or field open).
    public static func binding(for key: Key, on screen: Screen, demo: Bool = false) -> Binding? {
        binding(for: key, in: .screen(screen), demo: demo)
    }

    /// What the bar shows in `mode`: the keys of this mode first, so that a
    /// narrow bar drops the ones that work everywhere.
    public static func bar(for mode: Mode, demo: Bool = false) -> [Binding] {
        let shown = bindings.filter { binding in
            binding.inBar && binding.works(in: mode, demo: demo)
                && (binding.otherKeys || binding.keys.first.flatMap { self.binding(for: $0, in: mode, demo: demo) }?.command == binding.command)
        }
        return shown.filter { $0.modes != nil } + shown.filter { $0.modes == nil }
    }

    /// The bar of `state`: only keys that do something where the cursor is.
    public static func bar(for state: AppState) -> [Binding] {
        bar(for: state.mode, demo: state.snapshot?.demo != nil).filter { $0.needs.holds(in: state) }
    }

    /// The bar of `screen`, whatever is selected.
    public static func bar(for screen: Screen, demo: Bool = false) -> [Binding] {
        bar(for: .screen(screen), demo: demo)
    }
}
