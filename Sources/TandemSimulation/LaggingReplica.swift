import Foundation

/// A second copy of the vault folder that a replication engine keeps in
/// step with the first, late and out of order, as Syncthing or Dropbox does
/// between two machines: each file created, replaced or removed on one side
/// reaches the other only when `deliver` picks it, in random order.
///
/// Like those engines it remembers what both sides last agreed on, so it
/// knows which side changed a file (and a removal travels as a removal).
/// A file both sides changed keeps the vault's version. Each delivery is
/// atomic (a temporary name, then a rename), as those engines place files.
final class LaggingReplica: @unchecked Sendable {
    let vault: URL
    let replica: URL
    /// Each path's content when both sides last agreed on it.
    private var agreed: [String: Data] = [:]
    /// When each pending difference was first seen, by the scenario's clock.
    private var pendingSince: [String: Int64] = [:]
    /// The longest a difference stays pending: each is delivered by then at
    /// the latest, as a replication engine that is online catches up within
    /// a bound (the tombstone grace must exceed it).
    let maxLagMillis: Int64

    init(of vault: URL, at replica: URL, maxLagMillis: Int64 = .max) throws {
        self.vault = vault
        self.replica = replica
        self.maxLagMillis = maxLagMillis
        try FileManager.default.createDirectory(at: replica, withIntermediateDirectories: true)
        // The folders a new vault has, as the replica's first scan would bring them.
        for name in try FileManager.default.contentsOfDirectory(atPath: vault.path) {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: vault.appendingPathComponent(name).path, isDirectory: &isFolder), isFolder.boolValue {
                try FileManager.default.createDirectory(at: replica.appendingPathComponent(name), withIntermediateDirectories: true)
            }
        }
        deliverAll()
    }

    /// Brings over every pending difference.
    func deliverAll() {
        var none: SeededGenerator?
        deliver(chance: 1, now: .max, random: &none)
    }

    /// Brings over each pending difference with probability `chance`, in
    /// random order, and every one pending for `maxLagMillis` by `now`.
    func deliver(chance: Double, now: Int64, using random: inout SeededGenerator) {
        var some: SeededGenerator? = random
        deliver(chance: chance, now: now, random: &some)
        random = some!
    }

    private func deliver(chance: Double, now: Int64, random: inout SeededGenerator?) {
        let vaultFiles = Self.files(in: vault)
        let replicaFiles = Self.files(in: replica)
        var pending: [(path: String, toReplica: Bool)] = []
        for path in Set(vaultFiles.keys).union(replicaFiles.keys).union(agreed.keys).sorted() {
            let (inVault, inReplica) = (vaultFiles[path], replicaFiles[path])
            if inVault == inReplica {
                agreed[path] = inVault
                pendingSince[path] = nil
                continue
            }
            if pendingSince[path] == nil { pendingSince[path] = now }
            // The side that differs from what both agreed on changed it; the vault wins when both did.
            pending.append((path, inVault != agreed[path]))
        }
        if random != nil { pending.shuffle(using: &random!) }
        for item in pending {
            let overdue = now >= (pendingSince[item.path] ?? now) &+ maxLagMillis
            if !overdue, chance < 1, random != nil, Double.random(in: 0..<1, using: &random!) >= chance { continue }
            let (from, to) = item.toReplica ? (vault, replica) : (replica, vault)
            agreed[item.path] = Self.copy(item.path, from: from, to: to)
            pendingSince[item.path] = nil
        }
    }

    /// Each file by relative path, with its contents (vault files in a
    /// scenario are small); temporary files of a write in progress are left.
    private static func files(in root: URL) -> [String: Data] {
        var result: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return result }
        while let path = walker.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            guard !name.hasPrefix(".tmp-"), !name.hasPrefix(".replica-") else { continue }
            var isFolder: ObjCBool = false
            let full = root.appendingPathComponent(path).path
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue,
                  let data = FileManager.default.contents(atPath: full) else { continue }
            result[path] = data
        }
        return result
    }

    /// Makes `target`'s file at `path` what `source`'s is (removed when it
    /// is not there); returns the content both now hold.
    private static func copy(_ path: String, from source: URL, to target: URL) -> Data? {
        let from = source.appendingPathComponent(path)
        let to = target.appendingPathComponent(path)
        let manager = FileManager.default
        guard let data = manager.contents(atPath: from.path) else {
            try? manager.removeItem(at: to)
            return nil
        }
        try? manager.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = to.deletingLastPathComponent().appendingPathComponent(".replica-\(UInt64.random(in: 0 ... .max))")
        guard manager.createFile(atPath: temporary.path, contents: data), rename(temporary.path, to.path) == 0 else { return nil }
        return data
    }
}
