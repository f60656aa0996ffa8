#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Removing what no snapshot references (`tandem snapshot forget --prune`),
/// in two steps a grace apart: a prune condemns, a later one removes.
///
/// One step would be safe only if every touch and manifest from every
/// replica reached this copy of the folder before the prune judged a pack.
/// A synced folder gives no such promise (a touch from another machine can
/// arrive seconds after a prune removed the pack it kept alive), so a prune
/// only records the packs it would remove (`CondemnedPack`); backups that
/// see the record stop reusing those packs, and a prune at least `grace`
/// later, by this device's clock, removes them, first copying out whatever
/// a manifest that arrived meanwhile still needs.
extension ObjectStore {
    /// What a prune removed, condemned and spared.
    struct PruneCount: Equatable {
        var objectsRemoved = 0
        var bytesRemoved: Int64 = 0
        var objectsSpared = 0
        var packsRemoved = 0
        var packsRewritten = 0
        /// Packs condemned by this prune, and the unused objects and bytes they hold.
        var packsCondemned = 0
        var objectsCondemned = 0
        var bytesCondemned: Int64 = 0
        /// Packs condemned earlier whose grace has not passed.
        var packsWaiting = 0
        /// When the first of those may go, by this device's clock.
        var nextRemovalMillis: Int64?
        /// Records of condemned packs that could not be read, as "path: reason".
        var unreadableRecords: [String] = []
    }

    /// Prunes the objects not in `referenced`.
    ///
    /// - Packs this device condemned at least `grace` ago, and not touched
    ///   since, are removed; the objects of theirs that `referenced` names
    ///   and that no other pack holds are first copied into a new pack. One
    ///   touched since is condemned again from now. (One whose objects all
    ///   became needed again is still removed, its objects copied out: a
    ///   backup that saw the record may hold them in a new pack too, and the
    ///   copy is made only where none is.)
    /// - Packs older than `grace` holding objects not referenced (or copies
    ///   recorded damaged) are condemned; packs another device condemned are
    ///   condemned here too, from now.
    /// - Files a killed writer left, older than `grace`, are removed.
    ///
    /// With `dryRun` nothing changes, and the count says what the run would
    /// do. `beforeRemoving` runs once the kept objects are copied, before
    /// the old packs are judged again and removed (tests touch a pack there).
    func prune(referenced: Set<String>, grace: TimeInterval, dryRun: Bool, device: DeviceID, now: Date = Date(),
               beforeRemoving: () -> Void = {}) throws(TandemError) -> PruneCount {
        var count = PruneCount()
        let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
        let graceMillis = Int64(grace * 1000)
        let records = vault.condemnationRecords()
        // An own record that does not open is started again: every pack then
        // waits a whole grace from now, which is late but never early.
        let earlier = (try? vault.readCondemnationRecord(of: device).get()) ?? []
        count.unreadableRecords = records.problems.map { "\($0.path): \($0.reason)" }
        func condemn(_ pack: String, touchedNanos: Int64) -> CondemnedPack {
            CondemnedPack(pack: pack, condemnedMillis: nowMillis, touchedNanos: touchedNanos, graceMillis: graceMillis)
        }
        let condemnedElsewhere = Set(records.byDevice.filter { $0.key != device }.values.joined().map(\.pack))
        var record: [String: CondemnedPack] = [:]
        var due: [(pack: String, kept: [Pack.Entry], condemned: CondemnedPack)] = []

        func isKept(_ entry: Pack.Entry, in pack: String) -> Bool {
            // A copy recorded damaged is not copied on: in a new pack it would
            // escape its record and be trusted again.
            referenced.contains(entry.address) && !isDistrusted(entry.address, in: pack)
        }
        func unused(_ pack: String) -> [Pack.Entry] { (packs[pack] ?? []).filter { !isKept($0, in: pack) } }

        for old in earlier {
            guard packs[old.pack] != nil, let touchedNanos = Self.modificationNanos(packURL(old.pack).path) else { continue }
            if touchedNanos != old.touchedNanos {
                // Reused by a backup that had not seen the record yet.
                record[old.pack] = condemn(old.pack, touchedNanos: touchedNanos)
                count.packsCondemned += 1
                count.objectsCondemned += unused(old.pack).count
                count.bytesCondemned += Int64(unused(old.pack).reduce(0) { $0 + $1.length })
            } else if old.condemnedMillis + max(graceMillis, old.graceMillis ?? 0) <= nowMillis {
                due.append((old.pack, [], old))
            } else {
                record[old.pack] = old
            }
        }
        let removing = Set(due.map(\.pack))
        // What a removed pack still holds that a manifest names is copied
        // out, unless a copy to keep is elsewhere.
        var copied = Set<String>()
        for index in due.indices {
            let pack = due[index].pack
            let entries = packs[pack] ?? []
            due[index].kept = entries.filter { entry in
                isKept(entry, in: pack) && !copied.contains(entry.address) && !holdsElsewhere(entry.address, sparing: removing)
            }
            copied.formUnion(due[index].kept.map(\.address))
            let gone = entries.filter { entry in !due[index].kept.contains { $0.offset == entry.offset } }
            count.objectsRemoved += unused(pack).count
            count.bytesRemoved += Int64(gone.reduce(0) { $0 + $1.length })
            if due[index].kept.isEmpty { count.packsRemoved += 1 } else { count.packsRewritten += 1 }
        }
        for (name, _) in packs.sorted(by: { $0.key < $1.key }) where record[name] == nil && !removing.contains(name) {
            let path = packURL(name).path
            let waste = unused(name)
            guard !waste.isEmpty || condemnedElsewhere.contains(name), let touchedNanos = Self.modificationNanos(path) else { continue }
            guard condemnedElsewhere.contains(name) || nowMillis - touchedNanos / 1_000_000 >= graceMillis else {
                count.objectsSpared += waste.count
                continue
            }
            record[name] = condemn(name, touchedNanos: touchedNanos)
            count.packsCondemned += 1
            count.objectsCondemned += waste.count
            count.bytesCondemned += Int64(waste.reduce(0) { $0 + $1.length })
        }
        let waiting = record.values.filter { $0.condemnedMillis < nowMillis }
        count.packsWaiting = waiting.count
        count.nextRemovalMillis = record.values.map { $0.condemnedMillis + max(graceMillis, $0.graceMillis ?? 0) }.min()
        let expired = leftovers.filter { path in Self.modificationNanos(path).map { nowMillis - $0 / 1_000_000 >= graceMillis } ?? false }
        guard !dryRun else { return count }

        // The record is durable before anything is copied, and keeps the
        // packs about to go until they are gone: a backup elsewhere must
        // never see one of them as a pack to reuse.
        try vault.writeCondemnations(Array(record.values) + due.map(\.condemned), by: device)
        for pack in due {
            for entry in pack.kept {
                try add(entry.address, try readRaw(Location(pack: pack.pack, offset: entry.offset, length: entry.length)))
            }
        }
        try finish()
        beforeRemoving()
        for pack in due {
            // Judged again: a backup may have touched it while the others were copied.
            let path = packURL(pack.pack).path
            if let touchedNanos = Self.modificationNanos(path), touchedNanos != pack.condemned.touchedNanos {
                count.objectsRemoved -= unused(pack.pack).count
                count.bytesRemoved -= Int64((packs[pack.pack] ?? []).filter { entry in !pack.kept.contains { $0.offset == entry.offset } }
                    .reduce(0) { $0 + $1.length })
                if pack.kept.isEmpty { count.packsRemoved -= 1 } else { count.packsRewritten -= 1 }
                record[pack.pack] = condemn(pack.pack, touchedNanos: touchedNanos)
                count.packsCondemned += 1
                count.objectsCondemned += unused(pack.pack).count
                count.bytesCondemned += Int64(unused(pack.pack).reduce(0) { $0 + $1.length })
                continue
            }
            try remove(path)
        }
        if !due.isEmpty { try vault.writeCondemnations(Array(record.values), by: device) }
        for leftover in expired { try remove(leftover) }
        return count
    }

    /// Whether a pack neither condemned nor in `removing` holds a copy of
    /// `address` to trust.
    private func holdsElsewhere(_ address: String, sparing removing: Set<String>) -> Bool {
        (locations[address] ?? []).contains { copy in
            !removing.contains(copy.pack) && !condemned.contains(copy.pack) && !isDistrusted(address, in: copy.pack)
        }
    }

    /// A file's modification time in nanoseconds since 1970; nil when it is gone.
    static func modificationNanos(_ path: String) -> Int64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
    }

    private func remove(_ path: String) throws(TandemError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(path: path, reason: String(cString: strerror(errno))) }
    }
}
