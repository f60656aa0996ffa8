import Crypto

/// Everything a list or a detail view shows about one entry.
public struct EntryStatus: Sendable, Equatable {
    public var context: String
    public var key: String
    public var state: EntryState
    /// What this device has; nil when it never had the entry.
    public var local: EntryVersion?
    /// The vault versions it has read, the deterministic winner first.
    public var vault: [EntryVersion]
    /// For incoming and refused changes: insert, edit or deletion.
    public var incomingKind: ChangeKind?
    /// The vault versions local has not seen (and differ from it), winner first.
    public var unseen: [EntryVersion]
    /// The schema version this device knows for the context.
    public var knownSchema: Int
    /// For an entry that needs a newer app: the newest schema it holds.
    public var newerSchema: Int?

    public init(context: String, key: String, views: EntryViews, state: EntryState) {
        self.context = context
        self.key = key
        self.state = state
        self.local = views.local
        let head = views.frontier.head
        self.vault = (head.map { [$0] } ?? []) + views.frontier.others
        self.incomingKind = views.incomingKind
        self.unseen = views.unseen.sorted { $0.beats($1) }
        self.knownSchema = views.knownSchema
        self.newerSchema = views.newerSchema
    }

    /// True when a version of the entry was written by a newer app than this
    /// one: it is kept, never overwritten, until the app is upgraded.
    public var needsNewerApp: Bool { newerSchema != nil }

    /// The local value, nil when absent or deleted here.
    public var value: String? { local?.value }

    /// A short id for the change waiting here, stable while the vault version
    /// stays the same: a decision made by id never applies to a version the
    /// person has not seen.
    public var changeID: String? {
        guard let version = unseen.first else { return nil }
        let digest = SHA256.hash(data: Array("\(context)\u{0}\(key)\u{0}\(version.versionID)".utf8))
        return String(Digest.hex(digest).prefix(10))
    }
}

/// Per-context figures for `tandem contexts`.
public struct ContextSummary: Sendable, Equatable, Codable {
    public var name: String
    public var policy: SyncPolicy
    public var entries: Int
    public var states: [String: Int]
    /// The schema version this device knows for the context.
    public var schema: Int
    /// How many live local entries were written with each schema version.
    public var entriesBySchema: [Int: Int]

    public init(name: String, policy: SyncPolicy, entries: Int, states: [String: Int], schema: Int = 1, entriesBySchema: [Int: Int] = [:]) {
        self.name = name
        self.policy = policy
        self.entries = entries
        self.states = states
        self.schema = schema
        self.entriesBySchema = entriesBySchema
    }
}

/// How many entries are in each state, and how many changes wait to be pushed.
public struct StateCounts: Sendable, Equatable, Codable {
    public var inSync = 0
    public var outgoing = 0
    public var incoming = 0
    public var conflicts = 0
    public var refused = 0
    /// Entries holding a version of a newer schema than this device knows.
    public var needsNewerApp = 0
    /// Entries whose local version is queued for the next push.
    public var waitingToPush = 0

    public init() {}

    mutating func add(_ state: EntryState, _ count: Int) {
        switch state {
        case .inSync: inSync += count
        case .outgoing: outgoing += count
        case .incoming: incoming += count
        case .conflict: conflicts += count
        case .refused: refused += count
        case .needsNewerApp: needsNewerApp += count
        }
    }
}
