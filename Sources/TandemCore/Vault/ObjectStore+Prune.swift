#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Removing what no snapshot references (`tandem snapshot forget --prune`).
extension ObjectStore {
    /// What a prune removed and spared.
    struct PruneCount {
        var objectsRemoved = 0
        var bytesRemoved: Int64 = 0
        var objectsSpared = 0
        var packsRemoved = 0
        var packsRewritten = 0
    }

    /// Drops the objects not in `referenced` from packs older than `grace`:
    /// a pack with none referenced is removed; one with some is rewritten
    /// with those only (copied sealed, as they are), and removed once the
    /// new pack is durable. Copies recorded damaged count as unused. Packs
    /// younger than `grace`, damaged packs and files a killed writer left
    /// younger than `grace` stay.
    ///
    /// `beforeRemoving` runs once the kept objects are rewritten, before the
    /// old packs are judged again and removed (tests touch a pack there).
    func prune(referenced: Set<String>, grace: TimeInterval, dryRun: Bool,
               beforeRemoving: () -> Void = {}) throws(TandemError) -> PruneCount {
        var count = PruneCount()
        var obsolete: [(path: String, unused: [Pack.Entry], rewritten: Bool)] = []
        let now = Date().timeIntervalSince1970
        func age(_ path: String) -> TimeInterval {
            var status = stat()
            guard stat(path, &status) == 0 else { return 0 }
            return now - (Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9)
        }
        for (name, entries) in packs.sorted(by: { $0.key < $1.key }) {
            // A copy recorded damaged is not copied on: in a new pack it would
            // escape its record and be trusted again.
            func isKept(_ entry: Pack.Entry) -> Bool { referenced.contains(entry.address) && !isDistrusted(entry.address, in: name) }
            let unused = entries.filter { !isKept($0) }
            guard !unused.isEmpty else { continue }
            let path = packURL(name).path
            guard age(path) >= grace else { count.objectsSpared += unused.count; continue }
            count.objectsRemoved += unused.count
            count.bytesRemoved += Int64(unused.reduce(0) { $0 + $1.length })
            let kept = entries.filter(isKept)
            if kept.isEmpty { count.packsRemoved += 1 } else { count.packsRewritten += 1 }
            guard !dryRun else { continue }
            for entry in kept {
                try add(entry.address, try readRaw(Location(pack: name, offset: entry.offset, length: entry.length)))
            }
            obsolete.append((path, unused, !kept.isEmpty))
        }
        guard !dryRun else { return count }
        // The objects kept are durable in their new packs before the old ones go.
        try finish()
        beforeRemoving()
        for pack in obsolete {
            // Judged again: a backup may have touched it while the others were rewritten.
            guard age(pack.path) >= grace else {
                count.objectsRemoved -= pack.unused.count
                count.bytesRemoved -= Int64(pack.unused.reduce(0) { $0 + $1.length })
                count.objectsSpared += pack.unused.count
                if pack.rewritten { count.packsRewritten -= 1 } else { count.packsRemoved -= 1 }
                continue
            }
            try remove(pack.path)
        }
        for leftover in leftovers where age(leftover) >= grace { try remove(leftover) }
        return count
    }

    private func remove(_ path: String) throws(TandemError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(path: path, reason: String(cString: strerror(errno))) }
    }
}
