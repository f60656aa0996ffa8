import Foundation
import Logging

/// Before it pushes, a sync settles whether this store is still the only
/// one writing as its device (VaultFormat, "Installations").
extension Synchronizer {
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
        if let reason = try foldedPastPush(vault: vault, records: records) {
            report.identityChange = try store.becomeCopy(reason: reason, replacing: true, taken: Set(records.values.map(\.name)))
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

    /// Why this store is behind its own log, when a checkpoint there covers
    /// a seq it never pushed: the segments the store would meet at its next
    /// seq were folded and removed by a later copy of it (the store was
    /// restored from an older copy). It becomes a new device, which reads
    /// that checkpoint like any other device's. Its own record in the
    /// vault, written by that later copy, says when to look.
    func foldedPastPush(vault: Vault, records: [DeviceID: DeviceRecord]) throws(TandemError) -> String? {
        let info = try store.info()
        // No record at all (lost, or not arrived) says nothing either way: look.
        let further = records[info.id].map { ($0.checkpoint ?? 0) >= info.nextSeq || $0.pushedSeq > info.pushedSeq } ?? (info.pushedSeq > 0)
        guard further, let folded = vault.listLog(of: info.id).latestCheckpoint, folded >= info.nextSeq else { return nil }
        return "this device's log was folded into a checkpoint up to segment \(folded), past what this store pushed (\(info.pushedSeq)): "
            + "the store was restored from an older copy"
    }

    /// Why this store's own published history cannot be trusted, if it
    /// cannot: another device has read further in its log than it pushed,
    /// or read a segment of it whose hash is not the one in the vault now.
    /// Both mean the store and the vault came back from an older copy, and
    /// this device wrote new history over what others had read.
    func rewound(vault: Vault, records: [DeviceID: DeviceRecord]) throws(TandemError) -> String? {
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
        let own = try store.ownCheckpoint()?.seq ?? 0
        // A checkpoint at the last pushed seq stands for the segment it covers.
        let checkpointed = own == info.pushedSeq
            && FileManager.default.fileExists(atPath: vault.checkpointURL(device: info.id, seq: info.pushedSeq, part: 1).path)
        if !vault.segmentExists(device: info.id, seq: info.pushedSeq) && !checkpointed { return true }
        // A seq that a reader waits at is lost when its file is gone or does
        // not open, and no checkpoint of this device that opens whole covers it
        // (read only when someone waits); a restatement covers it only while
        // it opens itself.
        var checkpointOpens: Bool?
        func opens(_ seq: UInt64) -> Bool {
            if ((try? vault.readSegment(device: info.id, seq: seq)) ?? nil) != nil { return true }
            guard seq <= own else { return false }
            if checkpointOpens == nil { checkpointOpens = vault.checkpointOpens(device: info.id, seq: own) }
            return checkpointOpens ?? false
        }
        let restated = try store.restatedSeq()
        return records.values.contains { record in
            guard record.id != info.id, let waiting = record.waiting?[info.id.rawValue], waiting <= info.pushedSeq else { return false }
            return (waiting > restated || !opens(restated)) && !opens(waiting)
        }
    }
}
