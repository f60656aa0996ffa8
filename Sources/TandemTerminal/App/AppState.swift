import TandemCore

/// The screens of the UI, in the order of their number keys.
public enum Screen: Int, CaseIterable, Sendable {
    case entries = 1, incoming, conflicts, outgoing, devices, log

    public var title: String {
        switch self {
        case .entries: "Entries"
        case .incoming: "Incoming"
        case .conflicts: "Conflicts"
        case .outgoing: "Outgoing"
        case .devices: "Devices"
        case .log: "Log"
        }
    }
}

/// Which pane of the entries screen has the cursor.
public enum Pane: Sendable, Equatable {
    case contexts, entries
}

/// An action on many entries, waiting for the person to confirm it.
public enum PendingBulk: Sendable, Equatable {
    case decide(Decision, [EntryRef])
    case delete(EntryRef)
    /// Quit with decisions or writes not published yet.
    case quit
}

/// One entry, by name.
public struct EntryRef: Hashable, Sendable {
    public var context: String
    public var key: String
}

/// What covers the screen, taking every key while it shows.
public enum Modal: Sendable, Equatable {
    case help
    case confirm(PendingBulk, question: String)
    /// Steps through incoming changes one by one; `skipped` were left for later.
    case prompt(skipped: Set<EntryRef>)
}

/// Everything the UI is: drawing reads it, only ``reduce(_:_:)`` changes it.
public struct AppState: Sendable, Equatable {
    public var snapshot: Snapshot?
    public var screen: Screen = .entries
    public var focus: Pane = .entries
    public var contextIndex = 0
    public var selection: [Screen: Int] = [:]
    /// The filter of the entries list; `editingFilter` while it is typed.
    public var filter = ""
    public var editingFilter = false
    /// The "context/key" of a new entry while it is typed.
    public var newEntryName: String?
    public var modal: Modal?
    /// The last thing that happened, shown above the key bar.
    public var message = ""
    /// A message that stays until the next key (a theme that could not be read).
    public var notice: String?
    public var syncing = false
    public var quitting = false
    public var size: (width: Int, height: Int) = (120, 40)

    public init() {}

    public static func == (lhs: AppState, rhs: AppState) -> Bool {
        lhs.snapshot == rhs.snapshot && lhs.screen == rhs.screen && lhs.focus == rhs.focus && lhs.contextIndex == rhs.contextIndex
            && lhs.selection == rhs.selection && lhs.filter == rhs.filter && lhs.editingFilter == rhs.editingFilter && lhs.newEntryName == rhs.newEntryName
            && lhs.modal == rhs.modal && lhs.message == rhs.message && lhs.notice == rhs.notice && lhs.syncing == rhs.syncing && lhs.quitting == rhs.quitting
            && lhs.size == rhs.size
    }

    /// The contexts pane: every context, "all" first.
    public var contextNames: [String] {
        ["all"] + (snapshot?.contexts.map(\.name) ?? [])
    }

    public var selectedContext: String? {
        contextIndex == 0 ? nil : contextNames[safe: contextIndex]
    }

    /// The rows of the list the current screen shows.
    public var rows: [EntryStatus] {
        guard let snapshot else { return [] }
        switch screen {
        case .entries:
            return snapshot.entries.filter { entry in
                (selectedContext == nil || entry.context == selectedContext)
                    && (filter.isEmpty || "\(entry.context)/\(entry.key)".localizedCaseInsensitiveContains(filter))
            }
        case .incoming: return snapshot.entries.filter { $0.state == .incoming }
        case .conflicts: return snapshot.entries.filter { $0.state == .conflict }
        case .outgoing: return snapshot.entries.filter { $0.state == .outgoing }
        case .devices, .log: return []
        }
    }

    /// How many rows the current list has (entries, devices or log lines).
    public var rowCount: Int {
        switch screen {
        case .devices: snapshot?.devices.count ?? 0
        case .log: snapshot?.events.count ?? 0
        default: rows.count
        }
    }

    public var selectedIndex: Int {
        min(selection[screen] ?? 0, max(0, rowCount - 1))
    }

    public var selectedEntry: EntryStatus? {
        rows[safe: selectedIndex]
    }

    /// The change the prompt shows: the first incoming one not left for later.
    public func promptEntry(skipping skipped: Set<EntryRef>) -> EntryStatus? {
        snapshot?.entries.first { $0.state == .incoming && !skipped.contains(EntryRef(context: $0.context, key: $0.key)) }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
