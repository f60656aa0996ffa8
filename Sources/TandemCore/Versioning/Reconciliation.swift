// Reconciliation: how an entry's local and vault views make its state,
// which version wins, and what an incoming change does. Every part of
// Tandem (store, sync, CLI, UI) asks these; none restates them.

/// What an incoming change would do to the local data.
public enum ChangeKind: String, Sendable, Codable {
    case insert, edit, deletion

    /// The one rule for what a version does here: a deletion deletes; a
    /// value edits what this device has live, else inserts.
    public init(deletes: Bool, localLive: Bool) {
        self = deletes ? .deletion : localLive ? .edit : .insert
    }
}

/// The two views of one entry and the decision recorded against it, with the
/// rules that derive its state.
public struct EntryViews: Sendable, Equatable {
    /// What this device has; nil when it never had the entry.
    public var local: EntryVersion?
    /// The vault versions this device has read.
    public var frontier: Frontier
    /// The vector of the vault version the person refused here, if any.
    public var refused: VersionVector?
    /// The schema version this device knows for the entry's context; a live
    /// version of a newer schema makes the entry wait for a newer app.
    public var knownSchema: Int

    public init(local: EntryVersion?, frontier: Frontier, refused: VersionVector? = nil, knownSchema: Int = .max) {
        self.local = local
        self.frontier = frontier
        self.refused = refused
        self.knownSchema = knownSchema
    }

    /// The newest schema among live versions this device holds or has not
    /// seen, when it is newer than the one it knows.
    public var newerSchema: Int? {
        var newest = 0
        if let local, !local.isDeletion { newest = local.schema }
        // A vault version local has seen is behind it; only the others count.
        for version in frontier.versions where !version.isDeletion && version.schema > max(newest, knownSchema) {
            if !(local?.vector.includes(version.vector) ?? false) { newest = version.schema }
        }
        return newest > knownSchema ? newest : nil
    }

    /// Vault versions that local has not seen and that differ from it in content.
    public var unseen: [EntryVersion] {
        frontier.versions.filter { version in
            guard let local else { return true }
            if local.vector.includes(version.vector) { return false }
            if local.vector.compare(to: version.vector) == .concurrent && local.hasSameContent(as: version) { return false }
            return true
        }
    }

    /// The derived state; nil when neither view holds anything.
    public var state: EntryState? {
        if newerSchema != nil { return .needsNewerApp }
        let unseen = self.unseen
        guard !unseen.isEmpty else {
            guard let local else { return nil }
            // Local has seen every vault version; it is in sync when the vault
            // holds local's own version or one with the same content.
            return frontier.versions.contains(where: { $0.vector == local.vector || local.vector.compare(to: $0.vector) == .concurrent })
                ? .inSync : .outgoing
        }
        let first = unseen[0]
        let oneContent = unseen.allSatisfy { $0.hasSameContent(as: first) }
        let allDominateLocal = unseen.allSatisfy { version in
            guard let local else { return true }
            return version.vector.compare(to: local.vector) == .dominates
        }
        guard oneContent && allDominateLocal else { return .conflict }
        if let refused, unseen.allSatisfy({ refused.includes($0.vector) }) { return .refused }
        return .incoming
    }

    /// For an incoming change: whether it inserts, edits or deletes.
    public var incomingKind: ChangeKind? {
        guard state == .incoming || state == .refused, let head = unseen.deterministicWinner else { return nil }
        return ChangeKind(deletes: head.isDeletion, localLive: local.map { !$0.isDeletion } ?? false)
    }

    /// True when an incoming change needs nobody: the vault deletes what local
    /// does not have, or brings the value local already holds (another
    /// device resolved a conflict with this device's value, say): taking it
    /// changes nothing here, and asking would show an edit whose before and
    /// after are the same.
    public var isSilentlyApplicable: Bool {
        guard state == .incoming, let winner = unseen.deterministicWinner else { return false }
        guard let local, !local.isDeletion else { return winner.isDeletion }
        return winner.hasSameContent(as: local) && winner.schema == local.schema
    }

    /// The deterministic winner among local and the vault versions it has not
    /// seen: what `accept` keeps when versions conflict. A version local has
    /// seen is out of the race, and so is local when a vault version has seen
    /// it, whatever their timestamps.
    ///
    /// When local is out of the race, every vault version it has not seen
    /// runs, also one with local's content: on a device where that version is
    /// local it runs too, and leaving it out here would pick another winner.
    /// (Devices that migrate one entry at the same time make such versions.)
    public var conflictWinner: EntryVersion? {
        guard let local else { return unseen.deterministicWinner }
        guard !frontier.versions.contains(where: { $0.vector.compare(to: local.vector) == .dominates }) else {
            return frontier.versions.filter { !local.vector.includes($0.vector) }.deterministicWinner
        }
        return (unseen + [local]).deterministicWinner
    }
}
