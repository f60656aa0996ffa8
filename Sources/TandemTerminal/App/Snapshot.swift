import Foundation
import TandemCore
import TandemSimulation

/// What the UI shows of one device, read from its store in one go, off the UI thread.
public struct Snapshot: Sendable, Equatable {
    public var device: String
    public var deviceID: DeviceID
    public var vaultPath: String
    public var online: Bool
    public var lastSyncMillis: Int64?
    public var counts: StateCounts
    public var contexts: [ContextSummary]
    /// Every entry as a list row, ordered by context and key; the versions of
    /// the one on screen come separately (``AppState/detail``).
    public var rows: [EntryRow]
    public var names: [DeviceID: String]
    public var devices: [DeviceRecord]
    /// Device record files that do not open or decode, listed after `devices`.
    public var damagedRecords: [DamagedDeviceRecord] = []
    /// Retired devices and the names of the devices that retired them; those
    /// whose records are gone from the vault are listed after the damaged ones.
    public var retired: [RetiredEntry] = []
    public var events: [LogEvent]
    public var nowMillis: Int64
    /// The vault's snapshots, newest first (none while the vault is locked).
    public var snapshots: [SnapshotSummary] = []
    /// In `tandem demo`: what the simulated devices are doing.
    public var demo: DemoStatus?
    /// Other devices' logs whose reading here stopped at a missing segment.
    public var gaps: [LogGap] = []
    /// When the newest of this device's unpublished changes was made.
    public var newestQueuedMillis: Int64?

    /// Reads everything the screens need from `store`.
    public static func load(_ device: Device, demo: DemoStatus? = nil, now: Int64 = SystemClock().nowMillis()) throws -> Snapshot {
        let store = device.store
        let info = try store.info()
        let vault = Vault(root: URL(fileURLWithPath: info.vaultPath))
        let listing = device.deviceRecordListing()
        let all = listing.records
        var retired: [RetiredEntry] = []
        for record in all {
            for device in record.retired ?? [] where !retired.contains(where: { $0.device.id == device.id }) {
                retired.append(RetiredEntry(device: device, by: record.name))
            }
        }
        let replaced = Set(all.compactMap(\.replaces)).union(retired.map(\.device.id))
        // Each device by name; installations replaced or retired after the rest.
        let records = all.sorted { (replaced.contains($0.id) ? 1 : 0, $0.name) < (replaced.contains($1.id) ? 1 : 0, $1.name) }
        let names = distinctNames(records, this: (info.id, info.name))
        // One pass over the entries gives the rows, the counts and the contexts.
        let rows = try store.entryRows()
        return Snapshot(
            device: info.name, deviceID: info.id, vaultPath: info.vaultPath, online: vault.isReachable,
            lastSyncMillis: info.lastSyncMillis, counts: StateCounts(rows: rows, waitingToPush: try store.outboxCount()),
            contexts: ContextSummary.summaries(of: rows, policies: try store.policies(), schemas: try store.schemaVersions()),
            rows: rows, names: names, devices: records, damagedRecords: listing.damaged, retired: retired, events: try store.events(limit: 200),
            nowMillis: now, snapshots: ((try? device.snapshots.snapshotSummaries().summaries) ?? []).reversed(), demo: demo,
            gaps: try store.logGaps(), newestQueuedMillis: try store.newestQueuedMillis())
    }

    /// Each device's name; where several share one (a reinstall keeps its
    /// name, two stores may be given the same), a short id is added to all
    /// but the one live device of that name, so no label is ambiguous.
    static func distinctNames(_ records: [DeviceRecord], this: (id: DeviceID, name: String)) -> [DeviceID: String] {
        let replaced = Set(records.compactMap(\.replaces))
        var named: [String: [DeviceRecord]] = [:]
        for record in records where record.id != this.id { named[record.name, default: []].append(record) }
        var names: [DeviceID: String] = [this.id: this.name]
        for (name, sharing) in named {
            let live = sharing.filter { !replaced.contains($0.id) }
            let plain = names.values.contains(name) ? nil : live.count == 1 && sharing.count > 1 ? live[0].id : sharing.count == 1 ? sharing[0].id : nil
            for record in sharing { names[record.id] = record.id == plain ? name : "\(name)·\(record.id.rawValue.prefix(4))" }
        }
        return names
    }

    /// `text` with each device id in it (a log line's "take-remote
    /// 13c3843450a2a1f1:24") written as the device's name.
    public func readable(_ text: String) -> String {
        guard !names.isEmpty, text.utf8.count >= 16 else { return text }
        var result = ""
        var run = ""
        func flush() {
            if run.count == 16, let id = DeviceID(validating: run), let name = names[id] { result += name } else { result += run }
            run = ""
        }
        for character in text {
            if character.isHexDigit && character.isASCII {
                run.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result
    }

    /// True for a device record that a reinstall replaced, or that was retired.
    public func isReplaced(_ record: DeviceRecord) -> Bool {
        devices.contains { $0.replaces == record.id } || retiredEntry(record.id) != nil
    }

    /// The retirement of `id`, when it is retired.
    public func retiredEntry(_ id: DeviceID) -> RetiredEntry? {
        retired.first { $0.device.id == id }
    }

    /// Retired devices whose records are gone from the vault.
    public var retiredWithoutRecords: [RetiredEntry] {
        retired.filter { entry in !devices.contains { $0.id == entry.device.id } }
    }

    /// A device's name, or its id when the vault has no record of it.
    public func name(_ id: DeviceID) -> String {
        names[id] ?? id.rawValue
    }

    /// "laptop (this device)" or "phone".
    public func label(_ id: DeviceID) -> String {
        id == deviceID ? "\(name(id)) (this device)" : name(id)
    }

    /// "12s ago", "3 min ago" …
    public func age(_ millis: Int64) -> String {
        RelativeTime.ago(millis, now: nowMillis)
    }
}

/// A retired device, and the name of the device that retired it.
public struct RetiredEntry: Sendable, Equatable {
    public var device: RetiredDevice
    public var by: String
}
