/// A person's decision on an incoming change (DESIGN §4).
public enum Decision: String, Sendable, Codable, CaseIterable {
    /// Local takes the vault version.
    case accept
    /// Local keeps its data; the vault version counts as seen and is not asked again.
    case refuse
    /// Publish the local data as a version that dominates the vault's.
    case keepMine = "keep-mine"

    /// The states of an entry this decision can be made on: accept and
    /// refuse need a change waiting (incoming, or refused earlier);
    /// keep-mine also settles a conflict.
    public var appliesTo: Set<EntryState> {
        self == .keepMine ? [.incoming, .refused, .conflict] : [.incoming, .refused]
    }
}

/// How a conflict is resolved; each publishes one version dominating all.
public enum Resolution: Sendable, Equatable {
    /// Keep this device's version everywhere.
    case keepLocal
    /// Take a vault version: the one from `device`, or the deterministic winner.
    case takeRemote(device: DeviceID?)
    /// Take the vault version with this vector: any of a conflict's
    /// versions, also one of two that one device wrote.
    case takeVersion(VersionVector)
    /// Publish a new value (canonical JSON is made from it).
    case merge(value: String?)
}

/// What a list showed of an incoming change: who wrote the version and when.
public struct ShownVersion: Sendable, Hashable {
    public var origin: DeviceID
    public var wallMillis: Int64

    public init(origin: DeviceID, wallMillis: Int64) {
        self.origin = origin
        self.wallMillis = wallMillis
    }
}
