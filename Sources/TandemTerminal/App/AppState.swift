import TandemCore
import TandemSimulation

/// The screens of the UI, in the order of their number keys.
public enum Screen: Int, CaseIterable, Sendable {
    case entries = 1, incoming, conflicts, outgoing, devices, log, snapshots

    public var title: String {
        switch self {
        case .entries: "Entries"
        case .incoming: "Incoming"
        case .conflicts: "Conflicts"
        case .outgoing: "Outgoing"
        case .devices: "Devices"
        case .log: "Log"
        case .snapshots: "Snapshots"
        }
    }
}

/// Which pane of the entries screen has the cursor.
public enum Pane: Sendable, Equatable {
    case contexts, entries
}

/// An action on many entries, waiting for the person to confirm it.
public enum PendingBulk: Sendable, Equatable {
    /// Decide each change as it was shown when the question was asked.
    case decide(Decision, [ShownChange])
    case delete(EntryRef)
    /// Quit with decisions or writes not published yet.
    case quit
    /// Wipe a demo device's store and restore it from the vault.
    case reinstall(String)
}

/// An incoming change as a list showed it: its entry, and which version.
public struct ShownChange: Hashable, Sendable {
    public var ref: EntryRef
    public var version: ShownVersion?

    public init(_ row: EntryRow) {
        ref = EntryRef(row)
        if let origin = row.origin, let wallMillis = row.wallMillis {
            version = ShownVersion(origin: origin, wallMillis: wallMillis)
        } else {
            version = nil
        }
    }
}

/// One entry, by name.
public typealias EntryRef = EntryName

/// What covers the screen, taking every key while it shows.
public enum Modal: Sendable, Equatable {
    case confirm(PendingBulk, question: String)
    /// Steps through incoming changes one by one; `skipped` were left for later.
    case prompt(skipped: Set<EntryRef>)
    /// One entry's whole value, or the keys (help), scrolled and searched like a pager.
    case value(ValueView)
}

/// The size of the terminal, in cells.
public struct TerminalSize: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(_ width: Int, _ height: Int) {
        self.width = width
        self.height = height
    }
}

/// Everything the UI is: drawing reads it, only ``reduce(_:_:)`` changes it.
public struct AppState: Sendable, Equatable {
    public var snapshot: Snapshot? {
        didSet { loads += 1; refreshRows() }
    }
    public var screen: Screen = .entries {
        didSet { refreshRows() }
    }
    public var focus: Pane = .entries
    public var contextIndex = 0 {
        didSet { refreshRows() }
    }
    public var selection: [Screen: Int] = [:]
    /// How long a decision, resolution or write made here waits before a
    /// sync the person did not ask for publishes it: `u` takes it back
    /// meanwhile, and `s` publishes at once.
    public static let publishGraceMillis: Int64 = 10_000
    /// Set by `s`: the prompt opens after that sync whenever changes wait.
    public var promptWhenWaiting = false
    /// The prompt shows the whole diff of its change (`d`), not its start.
    public var promptExpanded = false
    /// The newest queued change whose grace ended and was handed to a sync.
    public var publishedThrough: Int64?
    /// Which of the selected conflict's other versions `t` takes (an index
    /// into its versions, kept in range where it is used).
    public var conflictVersion = 0
    /// What `/` typed on each list: see ``ListFilter``.
    public var filters: [Screen: String] = [:] {
        didSet { refreshRows() }
    }
    /// The entries whose whole value contains the filter's words, as the
    /// store answered: rows hold only the start of each value.
    public var valueMatches: ValueMatches? {
        didSet { refreshRows() }
    }
    /// The log shows errors and warnings only.
    public var logErrorsOnly = false {
        didSet { refreshRows() }
    }
    /// Incoming changes marked with Space: `A` and `R` act on these when any are.
    public var marked: Set<EntryRef> = []
    /// The one line of text being typed: a filter, a new entry's name, a
    /// snapshot's folder, a search in the value view.
    public var textField: TextField?
    /// The snapshot running or last run from the UI.
    public var backup: BackupStatus?
    public var modal: Modal?
    /// The last thing that happened, shown above the key bar.
    public var message = ""
    /// A message that stays until the next key (a theme that could not be read).
    public var notice: String?
    public var syncing = false
    /// How far the running sync has read, once it has read something: the
    /// header shows it instead of "syncing…" (a fresh device's first sync).
    public var syncProgress: SyncProgress?
    /// The sync under way was asked for by the person (or is the first):
    /// if it brings changes, the prompt steps through them. Syncs the vault
    /// watcher starts only say so, rather than take the keyboard.
    public var promptAfterSync = true
    /// A sync asked for while one ran; it starts when that one ends.
    public var queuedSync: QueuedSync?
    /// A sync the person asked for brought changes, and a queued sync ran
    /// before the prompt could open: the prompt opens when that one ends.
    public var promptOwed = false
    /// The device on screen, once known: answers about another one (from
    /// before a switch) are dropped.
    public var device: String?
    public var quitting = false
    public var size = TerminalSize(120, 40)
    /// The versions of the entry on screen (the selected row, or the one the
    /// prompt shows), read on demand: a snapshot holds only rows.
    public var detail: LoadedDetail?
    /// The entry whose details were asked for and not yet answered.
    var requestedDetail: EntryRef?
    /// Reloads asked for and not yet answered.
    var reloadsPending = 0
    /// The rows of the list the current screen shows, derived again only when
    /// what they come from changes, so that a frame never filters 100,000 rows.
    public private(set) var rows: [EntryRow] = []
    /// The log lines shown, newest first, after the log's filter.
    public private(set) var events: [LogEvent] = []
    private var rowsSource: RowsSource?
    /// How many snapshots have arrived: a new one invalidates the rows.
    private var loads = 0

    /// What the shown rows were derived from.
    private struct RowsSource: Equatable {
        var loads: Int
        var screen: Screen
        var context: String?
        var filter: String
        var valueMatches: ValueMatches?
        var errorsOnly: Bool
    }

    public init() {}

    /// The filter typed on the current screen ("" when none).
    public var filter: String {
        filters[screen] ?? ""
    }

    /// Where the keys go now: see ``KeyMap``.
    public var mode: Mode {
        if textField != nil { return .textEntry }
        switch modal {
        case .confirm?: return .confirm
        case .prompt?: return .prompt
        case .value?: return .valueView
        case nil: return .screen(screen)
        }
    }

    /// The contexts pane: every context, "all" first.
    public var contextNames: [String] {
        ["all"] + (snapshot?.contexts.map(\.name) ?? [])
    }

    public var selectedContext: String? {
        contextIndex == 0 ? nil : contextNames[safe: contextIndex]
    }

    /// Derives the rows of the current list again when what they come from
    /// changed: a new snapshot, another screen, context or filter.
    private mutating func refreshRows() {
        let source = RowsSource(loads: loads, screen: screen, context: screen == .entries ? selectedContext : nil, filter: filter,
                                valueMatches: valueMatches, errorsOnly: logErrorsOnly)
        guard source != rowsSource else { return }
        rowsSource = source
        guard let snapshot else {
            rows = []
            events = []
            return
        }
        let filter = ListFilter(source.filter, valueMatches: source.valueMatches)
        let wanted: EntryState? = switch screen {
        case .incoming: .incoming
        case .conflicts: .conflict
        case .outgoing: .outgoing
        default: nil
        }
        switch screen {
        case .entries, .incoming, .conflicts, .outgoing:
            if wanted == nil && source.context == nil && filter.isEmpty {
                rows = snapshot.rows
            } else {
                rows = snapshot.rows.filter { row in
                    (wanted == nil || row.state == wanted) && (source.context == nil || row.context == source.context)
                        && filter.matches(row, snapshot)
                }
            }
            events = []
        case .log:
            rows = []
            events = snapshot.events.filter { event in
                (!source.errorsOnly || event.level != "info") && filter.matches(event, snapshot)
            }
        case .devices, .snapshots:
            rows = []
            events = []
        }
    }

    /// How many rows the current list has (entries, devices or log lines).
    public var rowCount: Int {
        switch screen {
        case .devices: (snapshot?.devices.count ?? 0) + (snapshot?.damagedRecords.count ?? 0)
        case .log: events.count
        case .snapshots: snapshot?.snapshots.count ?? 0
        default: rows.count
        }
    }

    public var selectedIndex: Int {
        min(selection[screen] ?? 0, max(0, rowCount - 1))
    }

    public var selectedRow: EntryRow? {
        rows[safe: selectedIndex]
    }

    /// The marked changes still shown on the incoming list, in its order.
    public var markedRows: [EntryRow] {
        marked.isEmpty ? [] : rows.filter { $0.state == .incoming && marked.contains(EntryRef($0)) }
    }

    /// The change the prompt shows: the first incoming one not left for later.
    public func promptEntry(skipping skipped: Set<EntryRef>) -> EntryRow? {
        snapshot?.rows.first { $0.state == .incoming && !skipped.contains(EntryRef($0)) }
    }

    /// Where the prompt stands: the change it shows is number `position`
    /// of `total` (those already decided or left for later count before it).
    public func promptPosition(skipping skipped: Set<EntryRef>) -> (position: Int, total: Int) {
        let waiting = snapshot?.rows.filter { $0.state == .incoming && !skipped.contains(EntryRef($0)) }.count ?? 0
        return (skipped.count + 1, skipped.count + waiting)
    }

    /// The entry whose versions the screen needs now.
    public var wantedDetail: EntryRef? {
        if case .prompt(let skipped)? = modal { return promptEntry(skipping: skipped).map(EntryRef.init) }
        return selectedRow.map(EntryRef.init)
    }

    /// The details of `ref`, when they are the ones loaded.
    public func detail(of ref: EntryRef?) -> EntryStatus? {
        guard let detail, let ref, detail.ref == ref else { return nil }
        return detail.status
    }

    /// The details of the selected row, when loaded.
    public var selectedDetail: EntryStatus? {
        detail(of: selectedRow.map(EntryRef.init))
    }
}

/// A sync waiting for the one under way to end; `prompt` when the person
/// asked for it.
public struct QueuedSync: Sendable, Equatable {
    public var prompt: Bool
}

/// The versions of one entry as the store answered; `status` is nil when the
/// entry is gone.
public struct LoadedDetail: Sendable, Equatable {
    public var ref: EntryRef
    public var status: EntryStatus?
    /// Why the store could not answer, when it could not.
    public var error: String?

    public init(ref: EntryRef, status: EntryStatus?, error: String? = nil) {
        self.ref = ref
        self.status = status
        self.error = error
    }
}

extension EntryRef {
    public init(_ row: EntryRow) {
        self.init(context: row.context, key: row.key)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}

/// A snapshot started from the UI: what it backs up, how far it is, how it ended.
public struct BackupStatus: Sendable, Equatable {
    public var source: String
    public var progress: SnapshotProgress?
    /// Set when it ended: its result line, or why it failed.
    public var outcome: String?

    public var running: Bool { outcome == nil }
}
