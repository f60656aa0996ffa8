import Foundation
import Logging

/// One device's sync: pull → reconcile → push (DESIGN §4–6).
///
/// Pulling only moves the vault view and the cursors forward and never waits
/// for a person; reconciling applies what the policies allow; pushing
/// publishes the outbox as new segments. The whole sync holds the device's
/// lock, so two processes never push the same seq.
public struct Synchronizer: Sendable {
    public let store: DeviceStore
    public var logger: Logger
    /// Changes per segment at most; a larger outbox is pushed as several segments.
    public var maxChangesPerSegment = 1000
    /// Bytes of values per segment at most, unless one change alone is
    /// larger: a reader holds a segment in memory while it applies it.
    public var maxValueBytesPerSegment = 8 << 20
    /// When set, changes queued less than this many milliseconds ago stay
    /// in the outbox: the terminal UI gives a person that long to take a
    /// decision back before a sync it did not ask for publishes it.
    public var holdBackMillis: Int64?

    public init(store: DeviceStore, logger: Logger = Logger(label: "tandem.sync")) {
        self.store = store
        self.logger = logger
    }

    /// The vault this device belongs to, unlocked (see `DeviceStore.vault`).
    public func vault() throws(TandemError) -> Vault {
        try store.vault()
    }

    /// Syncs once. An unreachable vault is not an error: the report says offline.
    public func sync(policies: PolicyMap, handlers: [String: ContextHandlers] = [:]) async throws(TandemError) -> SyncReport {
        var report = SyncReport()
        let info = try store.info()
        guard Vault(root: URL(fileURLWithPath: info.vaultPath)).isReachable else {
            logger.info("vault \(info.vaultPath) unreachable: offline")
            report.online = false
            try fillCounts(&report)
            return report
        }
        let vault = try store.vault()
        let lock = try await DeviceLock.acquire(path: store.path + ".lock")
        defer { withExtendedLifetime(lock) {} }

        let records = Dictionary(vault.deviceRecords().records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        try settleOwnLog(vault: vault, records: records, policies: policies, report: &report)
        let restate = try ownHistoryLost(vault: vault, records: records)
        try await pull(vault: vault, me: try store.info().id, records: records, policies: policies, report: &report)
        try reconcile(policies: policies, report: &report)
        if restate {
            let changes = try store.restatement()
            try publish(changes, restating: true, vault: vault, policies: policies, report: &report)
            report.restated = changes.count
        }
        let handled = try await runHandlers(handlers, policies: policies, report: &report)
        if handled {
            do {
                try push(vault: vault, policies: policies, report: &report)
            } catch {
                // Another copy of this store placed the segment first: settle
                // who this store is (it becomes a new device) and push again.
                let info = try store.info()
                guard vault.segmentExists(device: info.id, seq: info.nextSeq) else { throw error }
                logger.warning("\(error.description); settling this store's identity and pushing again")
                try settleOwnLog(vault: vault, records: records, policies: policies, report: &report)
                try push(vault: vault, policies: policies, report: &report)
            }
        }
        try publishDeviceRecord(vault: vault)
        if try store.isLeftoverSweepDue(now: store.clock.nowMillis()) {
            for path in vault.removeLeftovers(of: try store.info().id) { logger.info("removed \(path), left by a killed write") }
        }
        try fillCounts(&report)
        // A sync that moved nothing and met nothing is not worth a line: the
        // vault watcher runs one for every push of another device.
        let moved = report.segmentsPulled + report.segmentsPushed + report.applied + report.refused > 0
        if moved || !report.isClean || report.identityChange != nil || !report.notices.isEmpty {
            try store.log(summary(report), level: report.isClean ? "info" : "warning")
        }
        return report
    }

    /// The segments a sync would read next: for each device, the one after
    /// this device's cursor (after its push position for its own log) when
    /// it exists. Empty when there is nothing new, or the vault cannot be
    /// reached. One stat per device: cheap enough to ask every second.
    public func vaultNews() throws(TandemError) -> [String] {
        let info = try store.info()
        let vault = Vault(root: URL(fileURLWithPath: info.vaultPath))
        guard vault.isReachable else { return [] }
        let cursors = try store.cursors()
        let gaps = Dictionary(try store.logGaps().map { ($0.device, $0) }, uniquingKeysWith: { first, _ in first })
        return try vault.loggingDevices().compactMap { device in
            let next = device == info.id ? info.nextSeq : (cursors[device]?.seq ?? 0) + 1
            let path = vault.segmentURL(device: device, seq: next).path
            if FileManager.default.fileExists(atPath: path) { return path }
            // Past a hole, news is a segment later than any there was.
            guard let gap = gaps[device], let latest = vault.segmentSeqs(device: device, after: gap.latest).last else { return nil }
            return vault.segmentURL(device: device, seq: latest).path
        }
    }

    private func fillCounts(_ report: inout SyncReport) throws(TandemError) {
        let counts = try store.pendingCounts()
        report.conflicts = counts.conflicts
        report.waiting = counts.incoming
        report.waitingToPush = counts.waitingToPush
        report.needsNewerApp = counts.needsNewerApp
    }

    /// Makes sure this store is the only one writing as its device before it
    /// pushes (VaultFormat, "Installations"). Each file at the next seq of
    /// its own log is one of:
    ///
    /// - a segment of its own installation that follows its push position
    ///   and holds only versions waiting in its outbox: its own push, placed
    ///   before a crash kept it from recording it; pushed;
    /// - a segment of its own installation that follows its push position,
    ///   while it has nothing unpublished: its own later history (it was
    ///   restored from an older copy), adopted;
    /// - any other segment: another copy of the store writes as this device,
    ///   or this one wrote after being restored; it becomes a new device;
    /// - not a segment of this device at all: reported, and the next push
    ///   goes past it.
    ///
    /// A store that was copied to another place, or whose log another device
    /// has read further than it pushed, or read otherwise than the vault
    /// holds it now, becomes a new device as well.
    func settleOwnLog(vault: Vault, records: [DeviceID: DeviceRecord], policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        if try store.isCopiedHere() {
            report.identityChange = try store.becomeCopy(reason: "its file is not where it was made (copied or moved)", replacing: false,
                                                         taken: Set(records.values.map(\.name)))
            return
        }
        while true {
            let info = try store.info()
            let seq = info.nextSeq
            let found: (segment: Segment, hash: [UInt8])?
            do {
                found = try vault.readSegment(device: info.id, seq: seq)
            } catch {
                // Only a file that is not this device's segment is pushed past;
                // one that could not be read now (a permission, a network
                // file system) may be its own, and the next sync tries again.
                guard case .corruptSegment = error else { throw error }
                let path = vault.segmentURL(device: info.id, seq: seq).path
                report.problems.append(SyncProblem(path: path, message: "\(error.description); this device pushes past it"))
                logger.error("\(error.description)")
                try store.skipOwnSeq(seq)
                continue
            }
            guard let (segment, hash) = found else {
                try store.forgetReplacedOutbox()
                break
            }
            let chained = segment.previousSeq == info.pushedSeq && segment.previousHash == info.pushedHash
            let sameInstallation = segment.installation == info.installation
            let ownPush = sameInstallation ? try store.outboxHolds(segment) : false
            if chained && (segment.installation.isEmpty || ownPush) {
                logger.notice("recovering pushed segment \(segment.seq) of this device")
                try store.markPushed(segment, hash: hash, policies: policies)
                continue
            }
            let unpublished = try store.outboxCount()
            if sameInstallation && chained && unpublished == 0 {
                logger.notice("taking back segment \(segment.seq) of this device: the store was restored from an older copy")
                try store.adoptOwnSegment(segment, hash: hash, policies: policies)
                continue
            }
            let reason = sameInstallation
                ? "the vault holds writes of this device that this store did not make, and it has changes it never published (it was restored from an older copy)"
                : "another copy of this device's store (installation \(Escaped.text(segment.installation))) wrote segment \(seq) of its log"
            report.identityChange = try store.becomeCopy(reason: reason, replacing: sameInstallation, taken: Set(records.values.map(\.name)))
            return
        }
        if let reason = try rewound(vault: vault, records: records) {
            report.identityChange = try store.becomeCopy(reason: reason, replacing: true, taken: Set(records.values.map(\.name)), rewound: true)
        }
    }

    /// Why this store's own published history cannot be trusted, if it
    /// cannot: another device has read further in its log than it pushed,
    /// or read a segment of it whose hash is not the one in the vault now.
    /// Both mean the store and the vault came back from an older copy, and
    /// this device wrote new history over what others had read.
    private func rewound(vault: Vault, records: [DeviceID: DeviceRecord]) throws(TandemError) -> String? {
        let info = try store.info()
        for reader in records.values where reader.id != info.id {
            guard let read = reader.applied[info.id.rawValue], read > 0 else { continue }
            let name = Escaped.text(reader.name)
            if read > info.pushedSeq {
                return "device \(name) has read segment \(read) of this device's log, which this store never pushed (it was restored from an older copy, and the vault lost those segments)"
            }
            guard let theirs = reader.appliedHashes?[info.id.rawValue] else { continue }
            let ours = read == info.pushedSeq ? Digest.hex(info.pushedHash)
                : (try? vault.readSegment(device: info.id, seq: read)).flatMap { $0.map { Digest.hex($0.hash) } }
            if let ours, ours != theirs {
                return "device \(name) read another segment \(read) of this device's log than the vault holds now (this store and the vault were restored from an older copy, and this device wrote over what \(name) had read)"
            }
        }
        return nil
    }

    /// True when the vault lost part of what this device pushed: its last
    /// segment is gone (the vault folder was restored from an older copy),
    /// or another device waits at a seq of its log that is not there and
    /// that no restatement since covers. The sync then restates.
    func ownHistoryLost(vault: Vault, records: [DeviceID: DeviceRecord]) throws(TandemError) -> Bool {
        let info = try store.info()
        guard info.pushedSeq > 0 else { return false }
        if !vault.segmentExists(device: info.id, seq: info.pushedSeq) { return true }
        // A seq that a reader waits at is lost when its file is gone or does
        // not open; a restatement covers it only while it opens itself.
        func opens(_ seq: UInt64) -> Bool { ((try? vault.readSegment(device: info.id, seq: seq)) ?? nil) != nil }
        let restated = try store.restatedSeq()
        return records.values.contains { record in
            guard record.id != info.id, let waiting = record.waiting?[info.id.rawValue], waiting <= info.pushedSeq else { return false }
            return (waiting > restated || !opens(restated)) && !opens(waiting)
        }
    }

    /// Reads every other device's log from its cursor on. The next segment
    /// is read and decoded on another thread while this one is applied, so a
    /// restore keeps both cores busy.
    ///
    /// Where the next seq is bad or missing, a later segment that follows
    /// the cursor (its device skipped a file that was not its own) or that
    /// restates its device's writes is read instead; else the gap is
    /// recorded, and reported when later segments are there.
    private func pull(vault: Vault, me: DeviceID, records: [DeviceID: DeviceRecord], policies: PolicyMap,
                      report: inout SyncReport) async throws(TandemError) {
        let cursors = try store.cursors()
        var gaps: [LogGap] = []
        for device in try vault.loggingDevices() where device != me {
            var cursor = cursors[device] ?? .start
            var ahead = Self.readAhead(vault, device: device, seq: cursor.seq + 1)
            while true {
                let path = vault.segmentURL(device: device, seq: cursor.seq + 1).path
                var next: (segment: Segment, hash: [UInt8])?
                var problem: String?
                switch await ahead.value {
                case .success(let value): next = value
                case .failure(let error): problem = error.description
                }
                if let found = next, !found.segment.follows(cursor) {
                    next = nil
                    problem = TandemError.corruptSegment(path: path, reason: "does not follow segment \(cursor.seq) of its device (previous-segment hash differs)").description
                }
                if next == nil {
                    let pushed = records[device]?.pushedSeq ?? 0
                    if problem != nil || pushed > cursor.seq {
                        next = try laterSegment(vault, device: device, following: cursor)
                    }
                    func gap(damaged: Bool) -> LogGap {
                        LogGap(device: device, name: records[device]?.name ?? device.rawValue, missing: cursor.seq + 1, pushed: pushed,
                               latest: vault.segmentSeqs(device: device, after: cursor.seq).last ?? cursor.seq, damaged: damaged)
                    }
                    if next == nil {
                        if let problem {
                            report.problems.append(SyncProblem(path: path, message: problem))
                            logger.error("\(problem)")
                            // Its owner republishes what the damaged file held.
                            gaps.append(gap(damaged: true))
                        } else if pushed > cursor.seq {
                            let gap = gap(damaged: false)
                            gaps.append(gap)
                            if gap.isHole {
                                report.problems.append(SyncProblem(path: path, message: gap.description))
                                logger.error("\(gap.description)")
                            }
                        }
                    }
                }
                guard let (segment, hash) = next else {
                    try relayIfRewound(device, at: cursor, vault: vault, records: records, policies: policies, report: &report)
                    break
                }
                ahead = Self.readAhead(vault, device: device, seq: segment.seq + 1)
                let (fresh, applied) = try store.apply(segment, hash: hash, after: cursor.seq, policies: policies)
                logger.debug("applied segment \(segment.seq) of \(device): \(segment.changes.count) changes, \(fresh) new")
                report.segmentsPulled += 1
                report.changesPulled += fresh
                report.applied += applied
                cursor = Cursor(seq: segment.seq, hash: hash)
            }
        }
        try store.recordLogGaps(gaps)
        report.gaps = gaps
        for problem in report.problems {
            try store.log(problem.message, level: "error")
        }
    }

    /// When `device`'s log in the vault went back below this device's cursor
    /// (its record says it pushed less, or another device replaced it, and
    /// the segment at the cursor is gone or another one), this device holds
    /// history of it that the vault lost and that its owner may never write
    /// again: it republishes the versions of `device` it holds, once per
    /// cursor, so every device gets them.
    private func relayIfRewound(_ device: DeviceID, at cursor: Cursor, vault: Vault, records: [DeviceID: DeviceRecord],
                                policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        // The records in memory first: the store is read only for a log that may have gone back.
        let behind = (records[device]?.pushedSeq ?? cursor.seq) < cursor.seq
        let replaced = records.values.contains { $0.replaces == device || $0.copiedFrom == device }
        guard cursor.seq > 0, behind || replaced, try store.relayedAt(device) != cursor.seq else { return }
        let atCursor = (try? vault.readSegment(device: device, seq: cursor.seq)) ?? nil
        // Looked at once per cursor: a replaced device's log is read again only when the cursor moves.
        try store.noteRelayed(device, at: cursor.seq)
        guard atCursor?.hash != cursor.hash else { return }
        let name = records[device]?.name ?? device.rawValue
        let changes = try store.versions(of: device)
        guard !changes.isEmpty else { return }
        try publish(changes, restating: false, vault: vault, policies: policies, report: &report)
        let note = "the vault holds less of device \(Escaped.text(name))'s log than this device read (segment \(cursor.seq)): "
            + "it was restored from an older copy; this device republished the \(changes.count) versions of \(Escaped.text(name)) it holds"
        report.notices.append(note)
        logger.warning("\(note)")
        try store.log(note, level: "warning")
    }

    /// The segment of `device` past a bad or missing one that a reader at
    /// `cursor` may take: the first later one when it follows the cursor
    /// (the device skipped a file), else the latest restatement.
    private func laterSegment(_ vault: Vault, device: DeviceID, following cursor: Cursor) throws(TandemError) -> (segment: Segment, hash: [UInt8])? {
        let later = vault.segmentSeqs(device: device, after: cursor.seq + 1)
        guard let first = later.first else { return nil }
        if let found = try? vault.readSegment(device: device, seq: first), found.segment.follows(cursor) { return found }
        for seq in later.reversed() {
            if let found = try? vault.readSegment(device: device, seq: seq), found.segment.restates { return found }
        }
        return nil
    }

    private static func readAhead(_ vault: Vault, device: DeviceID, seq: UInt64) -> Task<Result<(segment: Segment, hash: [UInt8])?, TandemError>, Never> {
        Task.detached {
            do throws(TandemError) {
                return .success(try vault.readSegment(device: device, seq: seq))
            } catch {
                return .failure(error)
            }
        }
    }

    private func reconcile(policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        report.applied += try store.settlePending(policies: policies)
    }

    /// Calls the handlers for each change waiting in a `handlers` context, in
    /// the order the changes arrived. Returns false when one failed.
    private func runHandlers(_ handlers: [String: ContextHandlers], policies: PolicyMap, report: inout SyncReport) async throws(TandemError) -> Bool {
        let contexts = handlers.keys.filter { policies[$0] == .handlers }
        guard !contexts.isEmpty else { return true }
        for pending in try store.handlerQueue(contexts: Array(contexts)) {
            guard let handlers = handlers[pending.context] else { continue }
            let result: HandlerResult
            do {
                result = try await handlers.handler(for: pending.kind)(pending)
            } catch {
                result = .failure(String(describing: error))
            }
            switch result {
            case .applied:
                try store.recordHandlerResult(context: pending.context, key: pending.key, expected: pending.version, applied: true)
                report.applied += 1
            case .refused:
                try store.recordHandlerResult(context: pending.context, key: pending.key, expected: pending.version, applied: false)
                report.refused += 1
            case .failure(let reason):
                report.stoppedAt = .init(context: pending.context, key: pending.key, reason: reason)
                let message = TandemError.handlerFailed(context: pending.context, key: pending.key, reason: reason).description
                logger.warning("\(message); the next sync retries it first")
                try store.log(message, level: "warning")
                return false
            }
        }
        return true
    }

    private func push(vault: Vault, policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        let before = holdBackMillis.map { store.clock.nowMillis() - $0 } ?? .max
        while true {
            let changes = try store.outbox(limit: maxChangesPerSegment, queuedBefore: before)
            guard !changes.isEmpty else { return }
            try publish(changes, restating: false, vault: vault, policies: policies, report: &report)
        }
    }

    /// Pushes `changes` as the next segments of this device (at least one:
    /// an empty restatement still lets readers past a hole). A restatement's
    /// first segment carries the mark.
    private func publish(_ changes: [Change], restating: Bool, vault: Vault, policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        var start = 0
        repeat {
            var end = start
            var bytes = 0
            while end < changes.count, end - start < maxChangesPerSegment {
                let size = changes[end].version.value?.utf8.count ?? 0
                if end > start, bytes + size > maxValueBytesPerSegment { break }
                bytes += size
                end += 1
            }
            let part = Array(changes[start..<max(end, min(start + 1, changes.count))])
            let info = try store.info()
            let segment = Segment(device: info.id, seq: info.nextSeq, previousSeq: info.pushedSeq, previousHash: info.pushedHash,
                                  created: try store.nextTimestamp(), installation: info.installation,
                                  restates: restating && start == 0, changes: part)
            let sealed = try vault.sealSegment(segment)
            try vault.placeSegment(sealed)
            try store.markPushed(segment, hash: sealed.hash, policies: policies)
            logger.debug("pushed segment \(segment.seq): \(part.count) changes\(segment.restates ? " (restating)" : "")")
            if segment.restates {
                try store.log("republished \(changes.count) versions of this device's entries: the vault had lost part of its log", level: "warning")
            }
            report.segmentsPushed += 1
            report.changesPushed += part.count
            start += part.count
        } while start < changes.count
    }

    private func publishDeviceRecord(vault: Vault) throws(TandemError) {
        let info = try store.info()
        let now = store.clock.nowMillis()
        try store.recordSync(atMillis: now)
        var applied: [String: UInt64] = [:]
        var hashes: [String: String] = [:]
        for (device, cursor) in try store.cursors() {
            applied[device.rawValue] = cursor.seq
            hashes[device.rawValue] = Digest.hex(cursor.hash)
        }
        let created = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(info.createdMillis) / 1000))
        let waiting = Dictionary(try store.logGaps().filter(\.isHole).map { ($0.device.rawValue, $0.missing) }, uniquingKeysWith: min)
        try vault.writeDeviceRecord(DeviceRecord(id: info.id, name: info.name, created: created, lastSyncMillis: now,
                                                 pushedSeq: info.pushedSeq, applied: applied, replaces: info.replaces,
                                                 copiedFrom: info.copiedFrom, installation: info.installation,
                                                 waiting: waiting.isEmpty ? nil : waiting, appliedHashes: hashes))
    }

    private func summary(_ report: SyncReport) -> String {
        var parts = ["sync: pulled \(report.changesPulled) changes in \(report.segmentsPulled) segments",
                     "pushed \(report.changesPushed) in \(report.segmentsPushed)"]
        if report.applied > 0 { parts.append("applied \(report.applied)") }
        if report.waiting > 0 { parts.append("\(report.waiting) waiting") }
        if report.conflicts > 0 { parts.append("\(report.conflicts) conflicts") }
        if !report.problems.isEmpty { parts.append("\(report.problems.count) problems") }
        if let stop = report.stoppedAt { parts.append("stopped at \(stop.context)/\(Escaped.text(stop.key))") }
        return parts.joined(separator: ", ")
    }
}
