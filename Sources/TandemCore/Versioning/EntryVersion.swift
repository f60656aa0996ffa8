/// One version of an entry: its value (or deletion) and who wrote it, having seen what.
public struct EntryVersion: Hashable, Sendable {
    /// Canonical JSON text, or nil for a deletion.
    public var value: String?
    public var vector: VersionVector
    public var timestamp: HLCTimestamp
    /// The device that wrote this version.
    public var origin: DeviceID
    /// The schema version of the context the value was written with.
    public var schema: Int

    public init(value: String?, vector: VersionVector, timestamp: HLCTimestamp, origin: DeviceID, schema: Int = 1) {
        self.value = value
        self.vector = vector
        self.timestamp = timestamp
        self.origin = origin
        self.schema = schema
    }

    public var isDeletion: Bool { value == nil }

    /// Versions that carry the same content; concurrent versions with the same
    /// content are not a conflict.
    public func hasSameContent(as other: EntryVersion) -> Bool {
        value == other.value
    }

    /// True when this version beats `other` in the deterministic order every
    /// device uses: a live value beats a deletion, then the later timestamp,
    /// then the greater device id.
    public func beats(_ other: EntryVersion) -> Bool {
        if isDeletion != other.isDeletion { return !isDeletion }
        if timestamp != other.timestamp { return timestamp > other.timestamp }
        if origin != other.origin { return origin > other.origin }
        return vector.compactText > other.vector.compactText
    }

    /// The short identifier of this version: origin and its counter.
    public var versionID: String { "\(origin.rawValue):\(vector[origin])" }
}

extension Collection where Element == EntryVersion {
    /// The deterministic winner among versions: the same on every device.
    public var deterministicWinner: EntryVersion? {
        self.reduce(nil) { best, candidate in
            guard let best else { return candidate }
            return candidate.beats(best) ? candidate : best
        }
    }
}

/// The versions of one entry that no other known version has superseded.
///
/// Adding a version drops every version it dominates and ignores a version
/// that is already covered, so the frontier only holds concurrent versions.
public struct Frontier: Sendable, Equatable {
    public private(set) var versions: [EntryVersion]

    public init(_ versions: [EntryVersion] = []) {
        self.versions = []
        for version in versions { _ = add(version) }
    }

    /// Adds `version`; returns false when the frontier already covered it.
    @discardableResult
    public mutating func add(_ version: EntryVersion) -> Bool {
        if versions.contains(where: { $0.vector.includes(version.vector) }) { return false }
        versions.removeAll { version.vector.includes($0.vector) }
        versions.append(version)
        return true
    }

    /// The version every device shows first: the deterministic winner.
    public var head: EntryVersion? { versions.count == 1 ? versions[0] : versions.deterministicWinner }

    /// The versions other than the head, in winner order.
    public var others: [EntryVersion] {
        guard versions.count > 1, let head else { return [] }
        return versions.filter { $0 != head }.sorted { $0.beats($1) }
    }

    /// Everything the frontier has seen.
    public var mergedVector: VersionVector {
        versions.reduce(VersionVector()) { $0.merged(with: $1.vector) }
    }

    public var isEmpty: Bool { versions.isEmpty }
}
