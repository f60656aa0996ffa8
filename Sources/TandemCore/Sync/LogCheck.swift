import Foundation

/// What `tandem check` finds in the devices' logs and records: files in a
/// log that are not that device's segments, segments that do not follow
/// the one before, holes that no later segment covers, and device records
/// that do not open. It reads every segment of every log once, so it costs
/// what a new device's first sync costs.
public struct LogCheck: Sendable {
    public let vault: Vault

    public init(vault: Vault) {
        self.vault = vault
    }

    public func findings() throws(TandemError) -> [VaultFinding] {
        var tally = CheckTally()
        return try findings(counting: &tally)
    }

    /// The findings, and in `tally` what was read: logs, records,
    /// checkpoints, segments.
    public func findings(counting tally: inout CheckTally) throws(TandemError) -> [VaultFinding] {
        let records = vault.deviceRecords()
        tally.records += records.records.count + records.damaged.count
        var findings = records.damaged.map { VaultFinding(path: $0.path, problem: $0.reason) }
        for device in try vault.loggingDevices() {
            tally.logs += 1
            findings += check(device, tally: &tally)
        }
        return findings
    }

    /// Walks one log in seq order as a reader would, without applying: from
    /// its latest checkpoint that opens whole, when it has one.
    private func check(_ device: DeviceID, tally: inout CheckTally) -> [VaultFinding] {
        var findings: [VaultFinding] = []
        let listing = vault.listLog(of: device)
        tally.checkpoints += listing.checkpoints.count
        tally.segments += listing.segments.count
        var start = Cursor.start
        for seq in listing.checkpoints.keys.sorted().reversed() {
            do {
                if let cursor = try vault.readCheckpoint(device: device, seq: seq, { _ in }) {
                    start = cursor
                    break
                }
                let parts = listing.checkpoints[seq]?.count ?? 0
                findings.append(VaultFinding(path: vault.checkpointURL(device: device, seq: seq, part: 1).path,
                                             problem: "checkpoint \(seq) is incomplete here (\(parts) of its files present; a synced folder may still be copying)"))
            } catch {
                var path = vault.checkpointURL(device: device, seq: seq, part: 1).path
                if case .corruptCheckpoint(let damaged, _) = error { path = damaged }
                findings.append(VaultFinding(path: path, problem: error.description))
            }
        }
        var segments: [(segment: Segment, hash: [UInt8])] = []
        for seq in listing.segments where seq > start.seq {
            do {
                if let found = try vault.readSegment(device: device, seq: seq) { segments.append(found) }
            } catch {
                findings.append(VaultFinding(path: vault.segmentURL(device: device, seq: seq).path, problem: error.description))
            }
        }
        // A restatement covers every hole before it: readers take it wherever they stand.
        let restated = segments.last(where: { $0.segment.restates })?.segment.seq ?? 0
        var cursor = start
        var hole: ClosedRange<UInt64>?
        for (segment, hash) in segments {
            let seq = segment.seq
            let path = vault.segmentURL(device: device, seq: seq).path
            if segment.follows(cursor) || seq < restated {
                // Past files its device skipped, or restated after a hole: nothing of it is lost.
                hole = nil
            } else {
                if hole == nil, cursor.seq + 1 < seq { hole = (cursor.seq + 1)...(seq - 1) }
                let missing = hole.map { $0.lowerBound == $0.upperBound ? "segment \($0.lowerBound) is" : "segments \($0.lowerBound)–\($0.upperBound) are" }
                findings.append(VaultFinding(path: path, problem: missing.map {
                    "\($0) missing from the log of device \(device), and this one does not follow segment \(cursor.seq); readers wait until the device publishes its writes again"
                } ?? "does not follow segment \(cursor.seq) of its device (previous-segment hash differs)"))
            }
            cursor = Cursor(seq: seq, hash: hash)
        }
        return findings
    }
}
