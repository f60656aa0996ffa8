#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB

/// Where a store file lives: this machine's id and the store's real path.
/// A store whose recorded place differs was copied (or moved) there.
enum StorePlace {
    static func current(storePath: String) -> String {
        machineID + ":" + realPath(storePath)
    }

    private static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return (path as NSString).standardizingPath }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The systemd machine id, else the host name: two machines cloned from
    /// one image share a machine id, and then the path still tells copies
    /// apart. Read once per process: every sync compares the place.
    static let machineID = readMachineID()

    private static func readMachineID() -> String {
        for file in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !id.isEmpty { return id }
            }
        }
        return ProcessInfo.processInfo.hostName
    }
}

/// How a device tells its own writes from a copy's (VaultFormat, "Installations").
///
/// Every segment names the installation that wrote it. A store restored from
/// an older copy, in the place it was made, finds segments of its own
/// installation beyond its push position: its own later history, which it
/// adopts. A store copied elsewhere, or one that finds another installation
/// writing under its id, stops writing as that id: it becomes a new device
/// that names the one it copied, reads the old id's log like any other, and
/// takes its unpublished writes along.
extension DeviceStore {
    /// A store that found it was a copy and became a device of its own.
    public struct IdentityChange: Sendable, Equatable, Codable, CustomStringConvertible {
        /// The device it was a copy of, and the id it writes under now.
        public var was: DeviceID
        public var now: DeviceID
        public var reason: String
        /// The device's name before, and the one it goes by now: the same
        /// when the old one is gone, another when the old one may live on.
        public var wasName: String = ""
        public var nowName: String = ""

        public var description: String {
            let renamed = nowName != wasName ? " named \(Escaped.quoted(nowName))" : ""
            return "this store is a copy of device \(Escaped.quoted(wasName)) (\(was)): \(reason); "
                + "it now continues as device \(now)\(renamed), with every change it had not published"
        }
    }

    /// True when the store's file is not where it was made (recording the
    /// place of a store made before places were recorded).
    func isCopiedHere() throws(TandemError) -> Bool {
        let here = StorePlace.current(storePath: path)
        // Read first: every sync asks, and a write transaction for nothing costs.
        if let recorded = try read({ db in try StoreMeta.get(db, .place) }) { return recorded != here }
        try writeTransaction { db in
            try StoreMeta.set(db, .place, here)
            if try StoreMeta.get(db, .installation) == nil { try StoreMeta.set(db, .installation, Digest.randomHex(bytes: 8)) }
        }
        return false
    }

    /// True when every change of `segment` is a version waiting in this
    /// store's outbox: the segment is this store's own push, placed before
    /// a crash kept it from recording it (or pushed by the store it is an
    /// older copy of, with exactly what this copy still had queued).
    ///
    /// A version that a newer write replaced in the outbox since counts too:
    /// the crash may have come before the write.
    func outboxHolds(_ segment: Segment) throws(TandemError) -> Bool {
        try read { db in
            for change in segment.changes {
                let expected = (change.version.value ?? "") + "|" + change.version.origin.rawValue
                let arguments: StatementArguments = [change.context, change.key, change.version.vector.compactText]
                let queued = try String.fetchOne(db.cachedStatement(sql: "SELECT coalesce(value, '') || '|' || origin FROM outbox WHERE context = ? AND key = ? AND vv = ?"),
                                                 arguments: arguments)
                let replaced = try String.fetchOne(db.cachedStatement(sql: "SELECT coalesce(value, '') || '|' || origin FROM replaced_outbox WHERE context = ? AND key = ? AND vv = ?"),
                                                   arguments: arguments)
                guard queued == expected || replaced == expected else { return false }
            }
            return true
        }
    }

    /// Forgets the replaced outbox versions once the own log holds no
    /// segment this store has not recorded.
    func forgetReplacedOutbox() throws(TandemError) {
        // Checked first: a DELETE without WHERE rewrites the table's pages
        // even when it is empty, and most syncs have nothing to forget.
        guard try read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM replaced_outbox)") ?? false }) else { return }
        try writeTransaction { db in try db.execute(sql: "DELETE FROM replaced_outbox") }
    }

    /// Moves the next push past `seq`, a file in this device's log that is not its segment.
    func skipOwnSeq(_ seq: UInt64) throws(TandemError) {
        try writeTransaction { db in
            let info = try self.info(db)
            guard seq == info.nextSeq else { return }
            try StoreMeta.set(db, .nextSeq, String(seq + 1))
            try self.log(db, "skipped seq \(seq) of this device's log: the file there is not its segment", level: "warning")
        }
    }

    /// Takes a segment of this installation found beyond the push position
    /// (the store was restored from an older copy) as its own history: the
    /// versions join the vault view and, where they supersede local, local;
    /// the write counter moves past every counter they use.
    func adoptOwnSegment(_ segment: Segment, hash: [UInt8], policies: PolicyMap) throws(TandemError) {
        try writeTransaction { db in
            let info = try self.info(db)
            guard segment.device == info.id, segment.previousSeq == info.pushedSeq else { return }
            var counter = try StoreMeta.number(db, .writeCounter, as: UInt64.self) ?? 0
            var arrival = try StoreMeta.number(db, .arrival, as: Int64.self) ?? 0
            var batch = try RecordBatch(db, store: self, changes: segment.changes, schemas: try self.schemaVersions(db))
            var newest = HLCTimestamp.zero
            var applied = 0
            for change in segment.changes {
                counter = max(counter, change.version.vector[info.id])
                newest = max(newest, change.version.timestamp)
                var record = batch.record(context: change.context, key: change.key)
                _ = record.views.frontier.add(change.version)
                let local = record.views.local
                if local == nil || change.version.vector.compare(to: local!.vector) == .dominates {
                    record.views.local = change.version
                    record.views.refused = nil
                }
                arrival += 1
                record.arrival = arrival
                _ = try self.settle(db, &record, policy: policies[change.context], catalog: nil)
                try self.save(&record, db)
                batch.update(record)
                applied += 1
            }
            var hlc = try Self.loadClock(db)
            hlc.receive(newest, now: self.clock.nowMillis())
            try Self.saveClock(db, hlc)
            try StoreMeta.set(db, .writeCounter, String(counter))
            try StoreMeta.set(db, .arrival, String(arrival))
            try StoreMeta.set(db, .pushedSeq, String(segment.seq))
            try StoreMeta.set(db, .pushedHash, Digest.hex(hash))
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [StoreMeta.nextSeq.rawValue])
            if segment.restates { try StoreMeta.set(db, .restatedSeq, String(segment.seq)) }
            try self.log(db, "took back segment \(segment.seq) of this device from the vault (\(applied) changes): this store was restored from an older copy")
        }
    }

    /// Makes this store a device of its own: a new id, a new installation,
    /// push position 0, and a cursor at its old push position in the old
    /// id's log, which it now reads like any other device's. Its
    /// unpublished writes move to the new id: each keeps what it had seen
    /// of the old id's published writes, and no counter the old id may have
    /// used elsewhere. Undo records are dropped (they name the old id's
    /// versions). With `replacing`, the new device also replaces the old one
    /// (the old one is gone: this store is its restored copy).
    ///
    /// A copy whose original may live on takes a name no device in `taken`
    /// has (`laptop-2`), so that lists and `--from` tell the two apart.
    ///
    /// With `rewound`, the old id's own published history is not trusted
    /// either (the store and the vault came back from one older copy, and
    /// readers hold later history of the old id): every version of the old
    /// id that the vault view holds is written again under the new id, and
    /// no version keeps the old id's counter. They meet what readers hold as
    /// concurrent versions, a conflict where they differ.
    func becomeCopy(reason: String, replacing: Bool, taken: Set<String> = [], rewound: Bool = false) throws(TandemError) -> IdentityChange {
        try writeTransaction { db in
            let old = try self.info(db)
            var name = old.name
            if !replacing {
                var number = 2
                while taken.contains(name) || name == old.name {
                    let suffix = "-\(number)"
                    name = String(old.name.prefix(64 - suffix.count)) + suffix
                    number += 1
                }
            }
            let place = StorePlace.current(storePath: self.path)
            // Named by what it copies, on which machine, in which folders,
            // when and at which counter: unique in practice, and the same in
            // a replayed simulation, whose temporary folder differs each run
            // (ids break ties between concurrent versions).
            let used = try StoreMeta.get(db, .writeCounter) ?? "0"
            let folders = URL(fileURLWithPath: self.path).pathComponents.suffix(3).joined(separator: "/")
            let seed = "\(old.id) \(StorePlace.machineID) \(folders) \(self.clock.nowMillis()) \(old.pushedSeq) \(used)"
            let digest = Digest.hex(Digest.sha256(Array(seed.utf8)))
            guard let new = DeviceID(validating: String(digest.prefix(16))) else {
                throw TandemError.storeFailed(path: self.path, reason: "cannot name the new device")
            }
            var counter: UInt64 = 0
            // Writes `version` again as the new id's next version, with
            // `vector` as what it had seen, in the outbox and, where it was
            // local, in the local view.
            func move(_ version: EntryVersion, of record: inout EntryRecord, seen vector: VersionVector, queuedAt: Int64) throws {
                counter += 1
                let moved = EntryVersion(value: version.value, vector: vector.setting(new, to: counter), timestamp: version.timestamp,
                                         origin: new, schema: version.schema)
                if record.views.local?.vector == version.vector {
                    record.views.local = moved
                    try self.save(&record, db)
                }
                try self.queue(db, context: record.context, key: record.key, moved, queuedAt: queuedAt)
            }
            let queued = try Row.fetchAll(db, sql: "SELECT context, key, value, vv, wall, counter, origin, schema, queued FROM outbox ORDER BY queued, context, key")
            for row in queued {
                guard let version = try EntryRecord.version(row, from: 2, path: self.path),
                      var record = try self.record(db, context: row[0], key: row[1]) else { continue }
                let published = rewound ? 0 : record.views.frontier.versions.map { $0.vector[old.id] }.max() ?? 0
                var vector = version.vector.removing(old.id)
                if published > 0 { vector = vector.setting(old.id, to: published) }
                try move(version, of: &record, seen: vector, queuedAt: row[8])
            }
            if rewound {
                let queuedKeys = Set(queued.map { ($0[0] as String) + "\u{0}" + ($0[1] as String) })
                for var record in try self.records(db, sql: "", arguments: [])
                where !queuedKeys.contains(record.context + "\u{0}" + record.key) {
                    guard let version = record.views.frontier.versions.filter({ $0.origin == old.id }).deterministicWinner else { continue }
                    try move(version, of: &record, seen: version.vector.removing(old.id), queuedAt: self.clock.nowMillis())
                }
            }
            try db.execute(sql: "DELETE FROM undo")
            try db.execute(sql: "DELETE FROM replaced_outbox")
            try db.execute(sql: "INSERT OR REPLACE INTO cursor (device, seq, hash) VALUES (?, ?, ?)",
                           arguments: [old.id.rawValue, Int64(old.pushedSeq), Data(old.pushedHash)])
            let values: [StoreMeta: String] = [
                .deviceID: new.rawValue, .pushedSeq: "0", .pushedHash: Digest.hex(Segment.noPreviousHash),
                .writeCounter: String(counter), .installation: Digest.randomHex(bytes: 8),
                .place: place, .copiedFrom: old.id.rawValue, .deviceName: name,
            ]
            for (key, value) in values { try StoreMeta.set(db, key, value) }
            for key in [StoreMeta.nextSeq, .restatedSeq] {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key.rawValue])
            }
            if replacing {
                try StoreMeta.set(db, .replaces, old.id.rawValue)
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [StoreMeta.replaces.rawValue])
            }
            try self.log(db, "this store is a copy of device \(old.name) (\(old.id)): \(reason); it continues as device \(new)"
                         + (name != old.name ? " named \(name)" : "") + ", and \(queued.count) unpublished changes go with it", level: "warning")
            return IdentityChange(was: old.id, now: new, reason: reason, wasName: old.name, nowName: name)
        }
    }

    /// True, and noted, when no sync removed leftover temporary files in
    /// the last day: listing the folders a device writes in costs too much
    /// for every sync.
    func isLeftoverSweepDue(now: Int64) throws(TandemError) -> Bool {
        let last = try read { db in try StoreMeta.number(db, .leftoversSwept, as: Int64.self) } ?? 0
        guard now - last >= Int64(Vault.leftoverAge * 1000) || now < last else { return false }
        try writeTransaction { db in try StoreMeta.set(db, .leftoversSwept, String(now)) }
        return true
    }

    // MARK: Relaying another device's versions

    /// The cursor seq at which this device last republished `device`'s
    /// versions, if it did.
    func relayedAt(_ device: DeviceID) throws(TandemError) -> UInt64? {
        try read { db in try Self.relayed(db)[device.rawValue] }
    }

    /// The devices whose logs this device looked at to relay them.
    func relayedDevices() throws(TandemError) -> [String] {
        try read { db in try Self.relayed(db).keys.sorted() }
    }

    func noteRelayed(_ device: DeviceID, at seq: UInt64) throws(TandemError) {
        try writeTransaction { db in
            var relayed = try Self.relayed(db)
            relayed[device.rawValue] = seq
            let text = String(decoding: try JSONEncoder().encode(relayed), as: UTF8.self)
            try StoreMeta.set(db, .relayed, text)
        }
    }

    private static func relayed(_ db: Database) throws -> [String: UInt64] {
        guard let text = try StoreMeta.get(db, .relayed) else { return [:] }
        return (try? JSONDecoder().decode([String: UInt64].self, from: Data(text.utf8))) ?? [:]
    }

    /// The latest version of each entry that `device` wrote and this
    /// device's vault view holds.
    func versions(of device: DeviceID) throws(TandemError) -> [LoggedChange] {
        try read { db in
            var changes: [LoggedChange] = []
            for record in try self.records(db, sql: "", arguments: []) {
                for version in record.views.frontier.versions where version.origin == device {
                    changes.append(LoggedChange(context: record.context, key: record.key, version: version))
                }
            }
            return changes
        }
    }

    // MARK: Restatement

    /// The latest version of every entry this device wrote that the vault
    /// view still holds: what a restatement republishes. A version of it
    /// that another device's version superseded is left out; that version
    /// has seen it.
    func restatement() throws(TandemError) -> [LoggedChange] {
        try versions(of: try info().id)
    }

    /// The seq of this device's latest restatement, 0 for none.
    func restatedSeq() throws(TandemError) -> UInt64 {
        try read { db in try StoreMeta.number(db, .restatedSeq, as: UInt64.self) ?? 0 }
    }
}
