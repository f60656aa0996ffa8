/// One line of text being typed, for whatever asks for it: the same keys
/// edit every such line.
public struct TextField: Sendable, Equatable {
    /// What the typed text is for.
    public enum Purpose: Sendable, Equatable {
        /// The filter of a list, applied as it is typed.
        case filter(Screen)
        /// "context/key" of an entry to create.
        case newEntry
        /// The folder to snapshot.
        case snapshotFolder
        /// A word to find in the value view.
        case search
    }

    /// What a key did to the field.
    public enum Outcome: Sendable, Equatable {
        case edited
        case submitted
        case cancelled
        /// The key is not one a field takes.
        case ignored
    }

    public var purpose: Purpose
    public private(set) var text: String

    public init(_ purpose: Purpose, text: String = "") {
        self.purpose = purpose
        self.text = text
    }

    /// Enter submits, Esc cancels, Backspace erases the last character, and
    /// a character is typed.
    public mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .enter: return .submitted
        case .escape: return .cancelled
        case .backspace:
            if !text.isEmpty { text.removeLast() }
            return .edited
        case .character(let character):
            text.append(character)
            return .edited
        default:
            return .ignored
        }
    }

    /// What the message line shows before the text.
    public var label: String {
        switch purpose {
        case .filter(.log): "filter (words · is:error): "
        case .filter(.entries): "filter (words match key, value, device · is:incoming is:conflict …): "
        case .filter: "filter (words match key, value, device): "
        case .newEntry: "new entry (context/key): "
        case .snapshotFolder: "snapshot of folder (Enter starts, Esc cancels): "
        case .search: "search: "
        }
    }
}
