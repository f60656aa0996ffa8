import Foundation
import Logging

/// One device's sync: pull → reconcile → push (DESIGN §4–6).
///
/// Pulling only moves the vault view and the cursors forward and never waits
/// for a person; reconciling applies what the policies allow; pushing
/// publishes the outbox as new segments. The whole sync holds the device's
/// lock, so two processes never push the same seq.
public struct Synchronizer: Sendable {
    public let device: Device
    var store: DeviceStore { device.store }
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
    /// A sync folds this device's log into a checkpoint once this many
    /// segments were pushed since the last one (in a vault of format 3 or later).
    public var compactAfterSegments = 100
    /// How long the files a checkpoint covers stay after it was placed.
    public var compactionGraceMillis = Synchronizer.defaultCompactionGraceMillis
    /// How long deletions every live device has stay in checkpoints before
    /// they are left out (in a vault of format 4 or later).
    public var tombstoneGraceMillis = Synchronizer.defaultTombstoneGraceMillis
    /// Told how far the pull has read the other devices' logs, at most every
    /// 100 ms and once at the end (a progress line for a long restore).
    public var progress: (@Sendable (SyncProgress) -> Void)?

    public init(device: Device, logger: Logger = Logger(label: "tandem.sync")) {
        self.device = device
        self.logger = logger
    }

    /// The vault this device belongs to, unlocked (see ``Device/vault(credential:)``).
    public func vault() throws(TandemError) -> Vault {
        try device.vault()
    }

    /// Syncs once. An unreachable vault is not an error: the report says offline.
    public func sync(policies: PolicyMap, handlers: [String: ContextHandlers] = [:]) async throws(TandemError) -> SyncReport {
        var report = SyncReport()
        let info = try store.info()
        let plain = Vault(root: URL(fileURLWithPath: info.vaultPath))
        guard plain.isReachable else {
            logger.info("vault \(info.vaultPath) unreachable: offline")
            report.online = false
            try fillCounts(&report)
            return report
        }
        // Read again only after the steps that may change it: settling the own
        // log can make this store a new device, and each push moves its position.
        let vault = try device.vault(info: info, plain: plain)
        let lock = try await device.syncLock()
        defer { withExtendedLifetime(lock) {} }

        let records = Dictionary(vault.deviceRecords().records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        try settleOwnLog(vault: vault, records: records, policies: policies, report: &report)
        // After settling: a copy of a retired device's store has become a device of its own by now.
        try refuseIfRetired(records: records)
        let restate = try ownHistoryLost(vault: vault, records: records)
        let me = try store.info().id
        try await pull(vault: vault, me: me, records: records, policies: policies, report: &report)
        try rereadVault(vault: vault, me: me, records: records, policies: policies, report: &report)
        try reconcile(policies: policies, report: &report)
        if restate {
            let changes = try store.restatement()
            try publish(changes, restating: true, vault: vault, policies: policies, report: &report)
            report.restated = changes.count
        }
        // Retirement removes files a format-2 build would read as lost: only in vaults of format 3.
        if try vault.readDescriptor().format >= VaultFormat.checkpointsSince {
            try retireReplaced(records: records, gaps: report.gaps)
            try foldRetired(vault: vault, policies: policies, report: &report)
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
        report.compaction = try compactIfAllowed(vault: vault)
        try publishDeviceRecord(vault: vault)
        if try store.isLeftoverSweepDue(now: store.clock.nowMillis()) {
            for path in vault.removeLeftovers(of: try store.info().id) { logger.info("removed \(path), left by a killed write") }
        }
        // A copy a synced folder set aside is read by nobody: a person must look.
        report.problems += vault.strayCopies().map { SyncProblem(path: $0.path, message: $0.description) }
        try fillCounts(&report)
        // A sync that moved nothing and met nothing is not worth a line: the
        // vault watcher runs one for every push of another device.
        let moved = report.segmentsPulled + report.segmentsPushed + report.applied + report.refused > 0
        if moved || !report.isClean || report.identityChange != nil || !report.notices.isEmpty {
            try store.log(summary(report), level: report.isClean ? "info" : "warning")
            // Each problem on a line of its own: what it is, and what to do, for the log screen and `tandem log`.
            for problem in report.problems.prefix(10) { try store.log(problem.message, level: "warning") }
        }
        try store.trimHistory()
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
            // A log folder changed since the last sync may hold a checkpoint past the cursor.
            if device != info.id, Self.modifiedMillis(vault.logFolder(of: device).path) >= (info.lastSyncMillis ?? 0),
               let seq = vault.listLog(of: device).latestCheckpoint, seq >= next {
                return vault.checkpointURL(device: device, seq: seq, part: 1).path
            }
            // Past a hole, news is a segment later than any there was.
            guard let gap = gaps[device], let latest = vault.segmentSeqs(device: device, after: gap.latest).last else { return nil }
            return vault.segmentURL(device: device, seq: latest).path
        }
    }

    private static func modifiedMillis(_ path: String) -> Int64 {
        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return 0 }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    func fillCounts(_ report: inout SyncReport) throws(TandemError) {
        let counts = try store.pendingCounts()
        report.conflicts = counts.conflicts
        report.waiting = counts.incoming
        report.waitingToPush = counts.waitingToPush
        report.needsNewerApp = counts.needsNewerApp
    }

    func summary(_ report: SyncReport) -> String {
        var parts = ["sync: pulled \(report.changesPulled) changes in \(report.segmentsPulled) segments",
                     "pushed \(report.changesPushed) in \(report.segmentsPushed)"]
        if report.applied > 0 { parts.append("applied \(report.applied)") }
        if report.waiting > 0 { parts.append("\(report.waiting) waiting") }
        if report.conflicts > 0 { parts.append("\(report.conflicts) conflicts") }
        if !report.problems.isEmpty { parts.append("\(report.problems.count) problems") }
        if let stop = report.stoppedAt { parts.append("stopped at \(Escaped.entry(stop.context, stop.key))") }
        return parts.joined(separator: ", ")
    }
}
