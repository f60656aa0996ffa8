/// The device records of a vault as read: those that open, and the files
/// that do not, so that a damaged record is named instead of its device
/// vanishing from every list.
public struct DeviceRecordListing: Sendable, Equatable {
    public var records: [DeviceRecord] = []
    public var damaged: [DamagedDeviceRecord] = []

    public init(records: [DeviceRecord] = [], damaged: [DamagedDeviceRecord] = []) {
        self.records = records
        self.damaged = damaged
    }

    /// One line per damaged record: its path and why.
    public var problems: [String] { damaged.map(\.description) }
}

/// A `devices/<id>.json` that does not open or decode (damaged, forged, in
/// another device's place, not a regular file, or too large).
public struct DamagedDeviceRecord: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// The device the file is named for; nil when its name is not a device id.
    public var device: DeviceID?
    public var reason: String

    public init(path: String, device: DeviceID?, reason: String) {
        self.path = path
        self.device = device
        self.reason = reason
    }

    /// "PATH: why".
    public var description: String { "\(path): \(reason)" }
}

extension Vault {
    /// The device of this vault called `name` that still lives: its record
    /// is readable, no record says it was retired, and none replaces it. A
    /// name is unique among those (what this copy of the folder shows: two
    /// machines naming a device at once, apart, can still both take it).
    public func liveDevice(named name: String) -> DeviceID? {
        let records = deviceRecords().records
        let gone = Set(records.flatMap { ($0.retired ?? []).map(\.id) } + records.compactMap(\.replaces))
        return records.first { $0.name == name && !gone.contains($0.id) }?.id
    }
}
