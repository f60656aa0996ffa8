/// How an entry's local view compares with its vault view (DESIGN §4).
public enum EntryState: String, Sendable, Codable, CaseIterable {
    /// Local and vault hold the same version.
    case inSync = "in-sync"
    /// Local has a version the vault has not seen yet.
    case outgoing
    /// The vault holds a version that supersedes local: it waits for a decision.
    case incoming
    /// Versions that have not seen each other hold different content.
    case conflict
    /// The vault supersedes local, and the person refused that version here.
    case refused
    /// A version was written with a schema newer than this device knows for
    /// its context: it is kept untouched until the app is upgraded.
    case needsNewerApp = "needs-newer-app"

    /// The mark lists show for this state.
    public var mark: String {
        switch self {
        case .inSync: "✓"
        case .outgoing: "↑"
        case .incoming: "↓"
        case .conflict: "⚠"
        case .refused: "⊘"
        case .needsNewerApp: "⇡"
        }
    }
}
