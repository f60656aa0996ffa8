import Foundation
import Logging

/// Pulling: each other device's log read from its cursor on, segment by
/// segment, into the vault view; holes and damage become log gaps.
extension Synchronizer {
    /// Reads every other device's log from its cursor on. The next segment
    /// is read and decoded on another thread while this one is applied, so a
    /// restore keeps both cores busy.
    ///
    /// Where the next seq is bad or missing, a later segment that follows
    /// the cursor (its device skipped a file that was not its own) or that
    /// restates its device's writes is read instead; else the gap is
    /// recorded, and reported when later segments are there.
    ///
    /// A store that held versions of other devices when the pull began and
    /// takes a checkpoint that left out tombstones past its cursor may have
    /// missed deletions: it is marked to read what the whole vault holds.
    func pull(vault: Vault, me: DeviceID, records: [DeviceID: DeviceRecord], policies: PolicyMap,
              report: inout SyncReport) async throws(TandemError) {
        let cursors = try store.cursors()
        var gaps: [LogGap] = []
        let others = try vault.loggingDevices().filter { $0 != me }
        // A cursor that moved says enough; the store is asked only before any has
        // (a new device, whose table is empty): not in every sync of a large store.
        var heldOthers = !others.isEmpty && cursors.values.contains { $0.seq > 0 }
        if !others.isEmpty, !heldOthers { heldOthers = try store.holdsVersionsOfOthers() }
        var progress = PullProgress(total: others.reduce(0) { total, device in
            total + Int(clamping: (records[device]?.pushedSeq ?? 0) &- min(records[device]?.pushedSeq ?? 0, cursors[device]?.seq ?? 0))
        }, report: self.progress)
        defer { progress.finish() }
        for device in others {
            var cursor = cursors[device] ?? .start
            // Listed at most once per log and sync, and only when a checkpoint may be there.
            var listing: LogListing?
            var awaited: UInt64?
            var damagedCheckpoint: SyncProblem?
            // A reader that starts from nothing, or that the device's record says
            // is behind its checkpoint, reads the checkpoint instead of the segments.
            if cursor.seq == 0 || (records[device]?.checkpoint ?? 0) > cursor.seq {
                listing = vault.listLog(of: device)
                switch try takeCheckpoint(vault, device: device, at: cursor, listing: listing!, policies: policies, report: &report,
                                           heldOthers: heldOthers, progress: &progress) {
                case .applied(let moved): cursor = moved
                case .notArrived(let seq): awaited = seq
                case .damaged(let problem): damagedCheckpoint = problem
                case .none: break
                }
            }
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
                // The segments after the cursor may have been folded into a checkpoint and
                // removed; listed only when the device's record says it went further (most
                // syncs find nothing new, and a long log is a long listing).
                let further = (records[device]?.pushedSeq ?? 0) > cursor.seq || (records[device]?.checkpoint ?? 0) > cursor.seq
                if next == nil, listing == nil, problem != nil || further {
                    listing = vault.listLog(of: device)
                    switch try takeCheckpoint(vault, device: device, at: cursor, listing: listing!, policies: policies, report: &report,
                                           heldOthers: heldOthers, progress: &progress) {
                    case .applied(let moved):
                        cursor = moved
                        ahead = Self.readAhead(vault, device: device, seq: cursor.seq + 1)
                        continue
                    case .notArrived(let seq): awaited = seq
                    case .damaged(let problem): damagedCheckpoint = problem
                    case .none: break
                    }
                }
                if next == nil {
                    let pushed = records[device]?.pushedSeq ?? 0
                    // A restatement holds only its device's own versions: not taken over an
                    // awaited checkpoint, which may also carry versions it republished for others.
                    if problem != nil || pushed > cursor.seq, awaited == nil {
                        next = try laterSegment(vault, device: device, following: cursor)
                    }
                    // A checkpoint read past by segments meanwhile is no longer awaited;
                    // the device's record may name one that covers the missing seq.
                    if let seq = awaited, seq <= cursor.seq { awaited = nil }
                    if awaited == nil, damagedCheckpoint == nil, let recorded = records[device]?.checkpoint, recorded > cursor.seq { awaited = recorded }
                    func gap(damaged: Bool) -> LogGap {
                        LogGap(device: device, name: records[device]?.name ?? device.rawValue, missing: cursor.seq + 1, pushed: pushed,
                               latest: vault.segmentSeqs(device: device, after: cursor.seq).last ?? cursor.seq, damaged: damaged,
                               awaitedCheckpoint: awaited)
                    }
                    if next == nil {
                        if let problem = damagedCheckpoint ?? problem.map({ SyncProblem(path: path, message: $0) }), awaited == nil {
                            report.problems.append(problem)
                            logger.error("\(problem.message)")
                            // Its owner republishes what the damaged file held.
                            gaps.append(gap(damaged: true))
                        } else if pushed > cursor.seq || awaited != nil {
                            let gap = gap(damaged: false)
                            gaps.append(gap)
                            if gap.isHole {
                                report.problems.append(SyncProblem(path: path, message: gap.description))
                                logger.error("\(gap.description)")
                            }
                        }
                    }
                }
                if next != nil, let damaged = damagedCheckpoint {
                    // Its segments are still there: read them instead, and say so.
                    let note = "\(damaged.message); reading the segments it covers instead"
                    report.notices.append(note)
                    logger.warning("\(note)")
                    try store.log(note, level: "warning")
                    damagedCheckpoint = nil
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
                if progress.isWanted {
                    progress.read(segments: Int(clamping: segment.seq - cursor.seq), changes: segment.changes.count,
                                  bytes: Self.fileSize(vault.segmentURL(device: device, seq: segment.seq)))
                }
                cursor = Cursor(seq: segment.seq, hash: hash)
            }
        }
        try store.recordLogGaps(gaps)
        report.gaps = gaps
        for problem in report.problems {
            try store.log(problem.message, level: "error")
        }
    }

    enum CheckpointOutcome {
        /// Applied; the reader now stands at this cursor.
        case applied(Cursor)
        /// None is there beyond the cursor.
        case none
        /// One is there, but not every part of it has arrived.
        case notArrived(UInt64)
        /// The latest one does not open: never applied whole, reported as
        /// this problem unless the segments it covers are read instead.
        case damaged(SyncProblem)
    }

    /// Applies `device`'s latest checkpoint that opens whole and covers more
    /// than the cursor: its parts one by one (each its own transaction, since any
    /// version of it may be applied early), the cursor moved with the last.
    /// A part missing leaves the cursor where it was; a damaged checkpoint
    /// is reported by path, and the reader goes on with segments.
    func takeCheckpoint(_ vault: Vault, device: DeviceID, at cursor: Cursor, listing: LogListing, policies: PolicyMap,
                        report: inout SyncReport, heldOthers: Bool, progress: inout PullProgress) throws(TandemError) -> CheckpointOutcome {
        // The latest first; an older one that opens whole still saves reading what it covers.
        let candidates = listing.checkpoints.keys.filter { $0 > cursor.seq }.sorted(by: >)
        guard let latest = candidates.first else { return .none }
        var outcome = CheckpointOutcome.none
        for seq in candidates {
            var fresh = 0, applied = 0
            let moved: Cursor?
            do {
                moved = try vault.readCheckpoint(device: device, seq: seq) { part throws(TandemError) in
                    if heldOthers, part.part == 1, let through = part.tombstonesThrough, through > cursor.seq {
                        // Marked before anything of it is applied: a sync killed after would forget.
                        try store.setRereadPending(DeviceStore.RereadPending(
                            reason: "checkpoint \(seq) of device \(device) leaves out deletions past segment \(cursor.seq), where this store had read",
                            notBeforeMillis: 0))
                    }
                    let last = part.part == part.parts
                    let counts = try store.apply(part.changes, of: device, after: cursor.seq,
                                                 moveTo: last ? Cursor(seq: part.seq, hash: part.segmentHash) : nil, policies: policies)
                    fresh += counts.new
                    applied += counts.applied
                    // Told part by part (a restore's checkpoint is most of it), each part
                    // its share of the segments the checkpoint covers.
                    if progress.isWanted {
                        let covered = Int(clamping: seq - min(seq, cursor.seq)), parts = max(1, part.parts)
                        let share = covered / parts + (last ? covered % parts : 0)
                        progress.read(segments: share, checkpoints: last ? 1 : 0, changes: part.changes.count,
                                      bytes: Self.fileSize(vault.checkpointURL(device: device, seq: seq, part: part.part)))
                    }
                }
            } catch {
                guard case .corruptCheckpoint(let path, _) = error else { throw error }
                if case .none = outcome { outcome = .damaged(SyncProblem(path: path, message: error.description)) }
                continue
            }
            report.changesPulled += fresh
            report.applied += applied
            guard let moved else {
                if case .none = outcome { outcome = .notArrived(latest) }
                continue
            }
            report.checkpointsPulled += 1
            logger.debug("applied checkpoint \(seq) of \(device): \(fresh) new changes")
            if case .damaged(let problem) = outcome {
                let note = "\(problem.message); read the older checkpoint \(seq) instead"
                report.notices.append(note)
                logger.warning("\(note)")
                try store.log(note, level: "warning")
            }
            return .applied(moved)
        }
        return outcome
    }

    /// When `device`'s log in the vault went back below this device's cursor
    /// (its record says it pushed less, or another device replaced it, and
    /// the segment at the cursor is gone or another one), this device holds
    /// history of it that the vault lost and that its owner may never write
    /// again: it republishes the versions of `device` it holds, once per
    /// cursor, so every device gets them.
    func relayIfRewound(_ device: DeviceID, at cursor: Cursor, vault: Vault, records: [DeviceID: DeviceRecord],
                                policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        // The records in memory first: the store is read only for a log that may have gone back.
        let behind = (records[device]?.pushedSeq ?? cursor.seq) < cursor.seq
        let replaced = records.values.contains { $0.replaces == device || $0.copiedFrom == device }
        guard cursor.seq > 0, behind || replaced, try store.relayedAt(device) != cursor.seq else { return }
        let atCursor = (try? vault.readSegment(device: device, seq: cursor.seq)) ?? nil
        // Looked at once per cursor: a replaced device's log is read again only when the cursor moves.
        try store.noteRelayed(device, at: cursor.seq)
        guard atCursor?.hash != cursor.hash, (vault.listLog(of: device).latestCheckpoint ?? 0) < cursor.seq else { return }
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
    func laterSegment(_ vault: Vault, device: DeviceID, following cursor: Cursor) throws(TandemError) -> (segment: Segment, hash: [UInt8])? {
        let later = vault.segmentSeqs(device: device, after: cursor.seq + 1)
        guard let first = later.first else { return nil }
        if let found = try? vault.readSegment(device: device, seq: first), found.segment.follows(cursor) { return found }
        for seq in later.reversed() {
            if let found = try? vault.readSegment(device: device, seq: seq), found.segment.restates { return found }
        }
        return nil
    }

    /// A file's size for the progress line; 0 when it cannot be read.
    static func fileSize(_ url: URL) -> Int64 {
        var info = stat()
        return stat(url.path, &info) == 0 ? Int64(info.st_size) : 0
    }

    static func readAhead(_ vault: Vault, device: DeviceID, seq: UInt64) -> Task<Result<(segment: Segment, hash: [UInt8])?, TandemError>, Never> {
        Task.detached {
            do throws(TandemError) {
                return .success(try vault.readSegment(device: device, seq: seq))
            } catch {
                return .failure(error)
            }
        }
    }
}
