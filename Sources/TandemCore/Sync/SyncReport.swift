/// What one sync did, and where and why it stopped if it did.
public struct SyncReport: Sendable, Equatable, Codable {
    /// False when the vault could not be reached: nothing was pulled or pushed.
    public var online = true
    /// Segments read from other devices, and the changes in them that were new here.
    public var segmentsPulled = 0
    public var changesPulled = 0
    /// Checkpoints read instead of the segments they cover.
    public var checkpointsPulled = 0
    /// What folding this device's own log did, when the sync looked at it.
    public var compaction: CompactionReport?
    /// Incoming changes applied locally (by policy or handler).
    public var applied = 0
    /// Incoming changes a handler refused.
    public var refused = 0
    /// Entries in conflict after the sync.
    public var conflicts = 0
    /// Incoming changes waiting for a decision after the sync.
    public var waiting = 0
    /// Segments and changes this device pushed.
    public var segmentsPushed = 0
    public var changesPushed = 0
    /// Entries holding a version of a newer schema than this device knows.
    public var needsNewerApp = 0
    /// Local changes still waiting to be pushed (offline, or stopped early).
    public var waitingToPush = 0
    /// Files that could not be used, with why; nothing from them was applied.
    public var problems: [SyncProblem] = []
    /// Set when a handler failed: the sync stopped at this entry.
    public var stoppedAt: StopPoint?
    /// Set when this store found it was a copy and became a device of its own.
    public var identityChange: DeviceStore.IdentityChange?
    /// Other devices' logs whose reading stopped at a missing segment.
    public var gaps: [LogGap] = []
    /// Versions this device republished because the vault had lost part of its log.
    public var restated: Int?
    /// What the sync did that a person should know of, though nothing failed.
    public var notices: [String] = []

    public init() {}

    public struct StopPoint: Sendable, Equatable, Codable {
        public var context: String
        public var key: String
        public var reason: String
    }

    /// True when everything that could be read was read and the sync ran to the end.
    public var isClean: Bool { online && problems.isEmpty && stoppedAt == nil }
}

/// A file that sync could not use.
public struct SyncProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { message }
}
