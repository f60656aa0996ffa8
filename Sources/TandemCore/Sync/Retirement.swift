#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Retired devices (VaultFormat, "Retired devices"): a device that will
/// not come back is retired by another one, which republishes what its log
/// carried and then removes that log, so that neither its files nor its
/// readers' waiting stay forever.
extension Synchronizer {
    /// Throws `deviceRetired` when another device's record retired this
    /// one: it must not write again, since its log may be gone already.
    func refuseIfRetired(records: [DeviceID: DeviceRecord]) throws(TandemError) {
        let info = try store.info()
        for record in records.values where record.id != info.id {
            guard let retired = record.retired?.first(where: { $0.id == info.id }) else { continue }
            let at = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(retired.atMillis) / 1000))
            throw .deviceRetired(device: "\(Escaped.text(info.name)), \(info.id)", by: Escaped.text(record.name), at: at,
                                 unpublished: try store.outboxCount())
        }
    }

    /// Makes this store, refused as a retired device's, a new device that
    /// keeps every change it did not publish: what `tandem device rejoin` does.
    public func rejoin() async throws(TandemError) -> DeviceStore.IdentityChange {
        let info = try store.info()
        let vault = try reachableVault(info: info)
        let lock = try await device.syncLock()
        defer { withExtendedLifetime(lock) {} }
        let records = vault.deviceRecords().records
        guard let by = records.first(where: { $0.id != info.id && ($0.retired ?? []).contains { $0.id == info.id } }) else {
            throw .cannotRetire(reason: "this device is not retired; it syncs as it is")
        }
        let change = try store.becomeCopy(reason: "it was retired by \(Escaped.text(by.name)), and rejoined the vault as a new device",
                                          replacing: false, taken: Set(records.map(\.name)))
        try store.log(change.description, level: "warning")
        return change
    }

    /// Retires `device` from this one: published with this device's record
    /// at once. The devices it had retired are retired here too, so their
    /// logs are still folded and removed if it did not get that far.
    public func retire(_ device: DeviceID) async throws(TandemError) -> RetiredDevice {
        let info = try store.info()
        guard device != info.id else { throw .cannotRetire(reason: "a device cannot retire itself; retire it from another device") }
        let vault = try reachableVault(info: info)
        let lock = try await self.device.syncLock()
        defer { withExtendedLifetime(lock) {} }
        let format = try vault.readDescriptor().format
        guard format >= VaultFormat.checkpointsSince else {
            throw .vaultFormatTooOld(path: vault.descriptorURL.path, format: format, needed: VaultFormat.checkpointsSince)
        }
        let records = Dictionary(vault.deviceRecords().records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        guard let record = records[device] else {
            throw .cannotRetire(reason: "no device \(device) has a record in the vault")
        }
        let retired = try adopt(record, records: records)
        try publishDeviceRecord(vault: vault)
        try store.log("retired device \(Escaped.text(record.name)) (\(device)): its log is folded into this device's and then removed", level: "info")
        return retired
    }

    /// The unlocked vault, or `vaultUnreachable`: commands that change the vault need it there.
    func reachableVault(info: DeviceInfo) throws(TandemError) -> Vault {
        let plain = Vault(root: URL(fileURLWithPath: info.vaultPath))
        guard plain.isReachable else { throw .vaultUnreachable(path: info.vaultPath) }
        return try device.vault(info: info, plain: plain)
    }

    /// Adds `record`'s device, and the devices it retired, to this device's retirements.
    @discardableResult
    private func adopt(_ record: DeviceRecord, records: [DeviceID: DeviceRecord]) throws(TandemError) -> RetiredDevice {
        var retirements = try store.retirements()
        let now = store.clock.nowMillis()
        let retired = RetiredDevice(id: record.id, name: record.name, atMillis: now)
        for device in [retired] + (record.retired ?? []) where !retirements.contains(where: { $0.device.id == device.id }) {
            retirements.append(Retirement(device: device))
        }
        try store.saveRetirements(retirements)
        return retired
    }

    /// A reinstall retires the installation it replaced once it has read
    /// all of that installation's log: then nothing of it is needed from
    /// that log any more, by this device, and this device republishes it for
    /// the others before it removes it.
    func retireReplaced(records: [DeviceID: DeviceRecord], gaps: [LogGap]) throws(TandemError) {
        let info = try store.info()
        guard let replaced = info.replaces, let record = records[replaced],
              try !store.retirements().contains(where: { $0.device.id == replaced }),
              !gaps.contains(where: { $0.device == replaced }),
              (try store.cursors()[replaced]?.seq ?? 0) >= record.pushedSeq else { return }
        try adopt(record, records: records)
        logger.info("retired \(replaced), the installation this one replaced: it has restored all of it")
    }

    /// Republishes, as segments of this device, the versions that each
    /// retired device's log carried up to this device's cursor there and
    /// that nothing supersedes; once they are published and a grace period
    /// has passed, removes that log and record from the vault. A retired
    /// device that wrote after it was retired (it had not seen its
    /// retirement yet) is folded again before anything is removed.
    func foldRetired(vault: Vault, policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        var retirements = try store.retirements()
        // A removed log that is back (the retired device pushed before it saw its
        // retirement, and a replica delivered that late) is folded and removed again.
        let logging = Set(try vault.loggingDevices())
        for index in retirements.indices where retirements[index].removed && logging.contains(retirements[index].device.id) {
            retirements[index].removed = false
            try store.saveRetirements(retirements)
        }
        guard retirements.contains(where: { !$0.removed }) else { return }
        let cursors = try store.cursors()
        let now = store.clock.nowMillis()
        for index in retirements.indices where !retirements[index].removed {
            let id = retirements[index].device.id
            let listing = vault.listLog(of: id)
            let read = cursors[id]?.seq ?? 0
            if read > retirements[index].foldedSeq {
                guard let carried = try carried(by: id, in: vault, listing: listing, after: retirements[index].foldedSeq, through: read) else { continue }
                let changes = try store.unsuperseded(Self.frontiers(of: carried))
                if !changes.isEmpty {
                    try publish(changes, restating: false, vault: vault, policies: policies, report: &report)
                    logger.info("republished \(changes.count) versions of retired device \(id)")
                }
                retirements[index].foldedSeq = read
                retirements[index].foldedMillis = now
                try store.saveRetirements(retirements)
                continue
            }
            // Removed only when every file of the log is one this device read and folded.
            let unread = listing.segments.contains { $0 > read } || listing.checkpoints.keys.contains { $0 > read }
            let folded = retirements[index].foldedMillis ?? (read == 0 ? retirements[index].device.atMillis : nil)
            guard !unread, let folded, now - folded >= compactionGraceMillis else { continue }
            let files = listing.segments.map { vault.segmentURL(device: id, seq: $0) }
                + listing.checkpoints.flatMap { seq, parts in parts.map { vault.checkpointURL(device: id, seq: seq, part: $0) } }
            let removed = try vault.removeLogFiles(files + [vault.deviceRecordURL(id)])
            // rmdir, not a recursive removal: a segment that arrived since the listing keeps the folder, and is folded next time.
            _ = rmdir(vault.logFolder(of: id).path)
            retirements[index].removed = true
            try store.saveRetirements(retirements)
            let note = "removed the log and record of retired device \(Escaped.text(retirements[index].device.name)) (\(id)): \(removed.count) files; "
                + "what it held is in this device's log"
            logger.info("\(note)")
            try store.log(note, level: "info")
        }
    }

    /// The versions `device`'s log carried from after seq `after` through
    /// `through` (its latest checkpoint within that range, then the
    /// segments after it), and its versions this device's vault view holds;
    /// nil while that checkpoint does not open whole.
    private func carried(by device: DeviceID, in vault: Vault, listing: LogListing, after: UInt64, through: UInt64) throws(TandemError) -> [LoggedChange]? {
        var changes = try store.versions(of: device)
        let checkpoint = listing.checkpoints.keys.filter { $0 > after && $0 <= through }.max()
        if let checkpoint {
            // Folded only from a checkpoint that opens whole: what it carried for other
            // devices is in no other file, and the log goes once it is folded.
            guard ((try? vault.readCheckpoint(device: device, seq: checkpoint) { part in changes += part.changes }) ?? nil) != nil else {
                logger.warning("checkpoint \(checkpoint) of retired device \(device) does not open whole here; its log is folded once it does")
                return nil
            }
        }
        for seq in listing.segments where seq > max(after, checkpoint ?? 0) && seq <= through {
            guard let (segment, _) = try? vault.readSegment(device: device, seq: seq) else { continue }
            changes += segment.changes
        }
        return changes
    }
}
