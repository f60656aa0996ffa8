import Foundation
import Logging

/// Pushing: the outbox published as this device's next segments, and its
/// device record.
extension Synchronizer {
    func push(vault: Vault, policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
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
    func publish(_ changes: [LoggedChange], restating: Bool, vault: Vault, policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        for range in fileRanges(changes) {
            let part = Array(changes[range])
            let info = try store.info()
            let segment = Segment(device: info.id, seq: info.nextSeq, previousSeq: info.pushedSeq, previousHash: info.pushedHash,
                                  created: try store.nextTimestamp(), installation: info.installation,
                                  restates: restating && range.lowerBound == 0, changes: part)
            let sealed = try vault.sealSegment(segment)
            try vault.placeSegment(sealed)
            try store.markPushed(segment, hash: sealed.hash, policies: policies)
            logger.debug("pushed segment \(segment.seq): \(part.count) changes\(segment.restates ? " (restating)" : "")")
            if segment.restates {
                try store.log("republished \(changes.count) versions of this device's entries: the vault had lost part of its log", level: "warning")
            }
            report.segmentsPushed += 1
            report.changesPushed += part.count
        }
    }

    /// How `changes` split into files: at most `maxChangesPerSegment`
    /// changes and `maxValueBytesPerSegment` bytes of values to a file,
    /// unless one change alone is larger; one empty file for no changes.
    func fileRanges(_ changes: [LoggedChange]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
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
            ranges.append(start..<end)
            start = end
        } while start < changes.count
        return ranges
    }

    func publishDeviceRecord(vault: Vault) throws(TandemError) {
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
        let retired = try store.retirements().map(\.device)
        let relayed = try store.relayedDevices()
        let waiting = Dictionary(try store.logGaps().filter(\.isHole).map { ($0.device.rawValue, $0.missing) }, uniquingKeysWith: min)
        try vault.writeDeviceRecord(DeviceRecord(id: info.id, name: info.name, created: created, lastSyncMillis: now,
                                                 pushedSeq: info.pushedSeq, applied: applied, replaces: info.replaces,
                                                 copiedFrom: info.copiedFrom, installation: info.installation,
                                                 waiting: waiting.isEmpty ? nil : waiting, appliedHashes: hashes,
                                                 checkpoint: try store.ownCheckpoint()?.seq,
                                                 retired: retired.isEmpty ? nil : retired, folded: try store.folded(),
                                                 relayed: relayed.isEmpty ? nil : relayed, settled: try store.noteSettled()))
    }
}
