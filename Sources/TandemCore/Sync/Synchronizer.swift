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

        try recoverPushedSegments(vault: vault, policies: policies)
        try await pull(vault: vault, me: info.id, policies: policies, report: &report)
        try reconcile(policies: policies, report: &report)
        let handled = try await runHandlers(handlers, policies: policies, report: &report)
        if handled {
            try push(vault: vault, policies: policies, report: &report)
        }
        try publishDeviceRecord(vault: vault)
        try fillCounts(&report)
        try store.log(summary(report), level: report.isClean ? "info" : "warning")
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
        return try vault.loggingDevices().compactMap { device in
            let next = device == info.id ? info.pushedSeq + 1 : (cursors[device]?.seq ?? 0) + 1
            let path = vault.segmentURL(device: device, seq: next).path
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
    }

    private func fillCounts(_ report: inout SyncReport) throws(TandemError) {
        let counts = try store.pendingCounts()
        report.conflicts = counts.conflicts
        report.waiting = counts.incoming
        report.waitingToPush = counts.waitingToPush
        report.needsNewerApp = counts.needsNewerApp
    }

    /// A segment of ours beyond the recorded push position was renamed into
    /// place before a crash (or by another process): record it as pushed.
    func recoverPushedSegments(vault: Vault, policies: PolicyMap) throws(TandemError) {
        while true {
            let info = try store.info()
            guard let (segment, hash) = try vault.readSegment(device: info.id, seq: info.pushedSeq + 1) else { return }
            logger.notice("recovering pushed segment \(segment.seq) of this device")
            try store.markPushed(segment, hash: hash, policies: policies)
        }
    }

    /// Reads every other device's log from its cursor on. The next segment
    /// is read and decoded on another thread while this one is applied, so a
    /// restore keeps both cores busy.
    private func pull(vault: Vault, me: DeviceID, policies: PolicyMap, report: inout SyncReport) async throws(TandemError) {
        let cursors = try store.cursors()
        for device in try vault.loggingDevices() where device != me {
            var cursor = cursors[device] ?? .start
            var ahead = Self.readAhead(vault, device: device, seq: cursor.seq + 1)
            while true {
                let path = vault.segmentURL(device: device, seq: cursor.seq + 1).path
                let read: (segment: Segment, hash: [UInt8])?
                switch await ahead.value {
                case .success(let value): read = value
                case .failure(let error):
                    report.problems.append(SyncProblem(path: path, message: error.description))
                    logger.error("\(error.description)")
                    read = nil
                }
                guard let (segment, hash) = read else { break }
                guard segment.previousHash == cursor.hash else {
                    let problem = TandemError.corruptSegment(path: path, reason: "does not follow segment \(cursor.seq) of its device (previous-segment hash differs)")
                    report.problems.append(SyncProblem(path: path, message: problem.description))
                    logger.error("\(problem.description)")
                    break
                }
                ahead = Self.readAhead(vault, device: device, seq: segment.seq + 1)
                let (fresh, applied) = try store.apply(segment, hash: hash, policies: policies)
                logger.debug("applied segment \(segment.seq) of \(device): \(segment.changes.count) changes, \(fresh) new")
                report.segmentsPulled += 1
                report.changesPulled += fresh
                report.applied += applied
                cursor = Cursor(seq: segment.seq, hash: hash)
            }
        }
        for problem in report.problems {
            try store.log(problem.message, level: "error")
        }
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
        while true {
            let changes = try store.outbox(limit: maxChangesPerSegment)
            guard !changes.isEmpty else { return }
            let info = try store.info()
            let segment = Segment(device: info.id, seq: info.pushedSeq + 1, previousHash: info.pushedHash,
                                  created: try store.nextTimestamp(), changes: changes)
            let hash = try vault.writeSegment(segment)
            try store.markPushed(segment, hash: hash, policies: policies)
            logger.debug("pushed segment \(segment.seq): \(changes.count) changes")
            report.segmentsPushed += 1
            report.changesPushed += changes.count
        }
    }

    private func publishDeviceRecord(vault: Vault) throws(TandemError) {
        let info = try store.info()
        let now = store.clock.nowMillis()
        try store.recordSync(atMillis: now)
        var applied: [String: UInt64] = [:]
        for (device, cursor) in try store.cursors() { applied[device.rawValue] = cursor.seq }
        let created = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(info.createdMillis) / 1000))
        try vault.writeDeviceRecord(DeviceRecord(id: info.id, name: info.name, created: created, lastSyncMillis: now,
                                                 pushedSeq: info.pushedSeq, applied: applied, replaces: info.replaces))
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
