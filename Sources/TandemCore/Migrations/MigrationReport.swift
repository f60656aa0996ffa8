/// What migrating one context's local entries did (or, in a dry run, would do).
public struct MigrationReport: Sendable, Equatable {
    public var context: String
    /// The context's schema version before and after.
    public var from: Int
    public var to: Int
    /// The entries whose local value changed, ordered by key.
    public var migrated: [MigratedEntry]
    /// Live local entries that were already at the target schema.
    public var alreadyCurrent: Int
    /// True when nothing was written: a dry run.
    public var dryRun: Bool

    /// True when the run changed nothing, as a second run must.
    public var changedNothing: Bool { from == to && migrated.isEmpty }
}

/// One entry an edge migration rewrote.
public struct MigratedEntry: Sendable, Equatable {
    public var key: String
    public var fromSchema: Int
    public var before: String
    public var after: String
    public var outcome: EdgeMigration.Outcome
}

/// How the local version of one entry is migrated at the edge (on start,
/// with a newer schema), kept apart from the vault's versions, which are
/// migrated only when they are applied.
public enum EdgeMigration {
    public enum Outcome: String, Sendable, Equatable {
        /// Published as a new version that has seen the old one: the other
        /// devices receive it as an ordinary edit.
        case published
        /// Another device already published the same migrated value, and
        /// this device takes that version instead of making a rival.
        case tookVaultVersion = "took-vault-version"
        /// The vault already holds a later version of the entry (an edit
        /// waiting for a decision, or one refused here): the local copy is
        /// migrated in place and not published, so that no conflict is made
        /// with a change nobody has decided on yet.
        case migratedInPlace = "migrated-in-place"
    }

    /// Decides what to do with `views.local`, whose value migrates to
    /// `migrated` at schema `target`.
    static func outcome(_ views: EntryViews, migrated: String, target: Int) -> (Outcome, EntryVersion?) {
        guard let local = views.local else { return (.published, nil) }
        let later = views.frontier.versions.filter { $0.vector.includes(local.vector) && $0.vector != local.vector }
        if let same = later.first(where: { $0.schema == target && $0.value == migrated }) {
            return (.tookVaultVersion, same)
        }
        return later.isEmpty ? (.published, nil) : (.migratedInPlace, nil)
    }
}

extension EntryViews {
    /// What a version made from `version`'s content has seen: `version`, and
    /// every vault version with the same content (those were never a conflict).
    func seenWithSameContent(as version: EntryVersion) -> VersionVector {
        frontier.versions.filter { $0.hasSameContent(as: version) }.reduce(version.vector) { $0.merged(with: $1.vector) }
    }
}
