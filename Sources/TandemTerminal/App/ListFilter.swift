import TandemCore

/// What `/` typed on a list, read as words that must all match, ignoring
/// case: a word matches an entry's context/key, the start of its value, or
/// the device that wrote it; `is:conflict` (any state, or its start) keeps
/// one state. On the log, words match the line and `is:error` keeps errors.
public struct ListFilter: Sendable, Equatable {
    /// Words that must appear somewhere in the row.
    public private(set) var words: [String] = []
    /// States named by `is:` words; a row in any of them passes.
    public private(set) var states: Set<EntryState> = []
    /// `is:` words that name no state (kept, so that they match nothing).
    public private(set) var unknownStates: [String] = []
    /// Entries whose whole value holds ``text``, from the store.
    private var valueMatches: Set<EntryRef>?

    public init(_ typed: String, valueMatches: ValueMatches? = nil) {
        for word in typed.lowercased().split(separator: " ").map(String.init) {
            guard word.hasPrefix("is:") else {
                words.append(word)
                continue
            }
            let name = String(word.dropFirst(3))
            let named = EntryState.allCases.filter { !name.isEmpty && $0.rawValue.hasPrefix(name) }
            if named.isEmpty { unknownStates.append(name) } else { states.formUnion(named) }
        }
        if let valueMatches, valueMatches.text == text { self.valueMatches = valueMatches.names }
    }

    /// The plain words as one text: what the store searches whole values for.
    public var text: String {
        words.joined(separator: " ")
    }

    public var isEmpty: Bool {
        words.isEmpty && states.isEmpty && unknownStates.isEmpty
    }

    public func matches(_ row: EntryRow, _ snapshot: Snapshot) -> Bool {
        guard unknownStates.isEmpty, states.isEmpty || states.contains(row.state) else { return false }
        guard !words.isEmpty else { return true }
        if valueMatches?.contains(EntryRef(row)) == true { return true }
        // Lowered only when a word is not found in what came before: a filter
        // runs over every row at each key typed.
        let name = "\(row.context)/\(row.key)".lowercased()
        lazy var preview = row.preview?.lowercased() ?? ""
        lazy var device = row.origin.map { snapshot.name($0).lowercased() } ?? ""
        return words.allSatisfy { name.contains($0) || preview.contains($0) || device.contains($0) }
    }

    public func matches(_ event: LogEvent, _ snapshot: Snapshot) -> Bool {
        let errors = unknownStates.contains { "error".hasPrefix($0) }
        guard unknownStates.allSatisfy({ "error".hasPrefix($0) }), states.isEmpty, !errors || event.level != "info" else { return false }
        let line = snapshot.readable(event.message).lowercased()
        return words.allSatisfy { line.contains($0) }
    }
}

/// The entries whose whole value, here or in the vault, contains `text`.
public struct ValueMatches: Sendable, Equatable {
    public var text: String
    public var names: Set<EntryRef>

    public init(text: String, names: Set<EntryRef>) {
        self.text = text
        self.names = names
    }
}
