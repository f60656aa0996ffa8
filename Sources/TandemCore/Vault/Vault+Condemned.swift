import Foundation

/// A pack a prune found holding objects no snapshot needs, as that device
/// recorded it: it is removed (or rewritten) only by a later prune, once a
/// grace has passed since this record, so that a replica that lags has time
/// to deliver the manifests and touches that still need it.
public struct CondemnedPack: Codable, Sendable, Hashable {
    /// The pack's name (64 hex digits).
    public var pack: String
    /// When the recording device condemned it (or first saw another device
    /// condemn it), by its own clock: the grace never mixes two clocks.
    public var condemnedMillis: Int64
    /// The pack's modification time then, in nanoseconds since 1970: a pack
    /// touched since (a backup reused it before it saw the record) is
    /// condemned again from that prune on.
    public var touchedNanos: Int64
    /// The grace of the prune that condemned it: a later prune with a
    /// shorter one still waits this long.
    public var graceMillis: Int64?
}

/// `condemned/<device-id>.json`: the packs one device's prunes condemned.
/// Only that device writes it, replacing it whole; every backup reads them
/// all and writes again any object it would otherwise reuse from such a pack.
extension Vault {
    var condemnedURL: URL { root.appendingPathComponent("condemned", isDirectory: true) }

    func condemnationRecordURL(_ device: DeviceID) -> URL {
        condemnedURL.appendingPathComponent(device.rawValue + ".json")
    }

    private struct CondemnationRecord: Codable {
        var format: Int
        var device: String
        var packs: [CondemnedPack]
    }

    /// Every device's condemned packs, by device; records that cannot be
    /// read are returned as problems, by path.
    func condemnationRecords() -> (byDevice: [DeviceID: [CondemnedPack]], problems: [(path: String, reason: String)]) {
        var byDevice: [DeviceID: [CondemnedPack]] = [:]
        var problems: [(path: String, reason: String)] = []
        for (device, url) in perDeviceRecords(in: condemnedURL) {
            guard let device else {
                problems.append((url.path, "not a record of condemned packs"))
                continue
            }
            switch readCondemnationRecord(of: device) {
            case .success(let packs): byDevice[device] = packs
            case .failure(let problem): problems.append((url.path, "record of condemned packs: \(problem.description)"))
            }
        }
        return (byDevice, problems)
    }

    /// The names of every pack any device condemned.
    func condemnedPackNames() -> Set<String> {
        Set(condemnationRecords().byDevice.values.joined().map(\.pack))
    }

    func readCondemnationRecord(of device: DeviceID) -> Result<[CondemnedPack], RecordProblem> {
        let url = condemnationRecordURL(device)
        guard FileManager.default.fileExists(atPath: url.path) else { return .success([]) }
        switch readSealedJSON(at: url, limit: VaultFileLimit.condemnationRecord, purpose: .condemnationRecords,
                              associatedData: Self.condemnationAssociatedData(device)) {
        case .failure(let problem): return .failure(problem)
        case .success(let plain):
            guard let record = try? JSONDecoder().decode(CondemnationRecord.self, from: plain), record.device == device.rawValue,
                  record.packs.allSatisfy({ Pack.isName($0.pack) }) else {
                return .failure(RecordProblem(description: "not a valid record of condemned packs"))
            }
            return .success(record.packs)
        }
    }

    /// Replaces `device`'s record with `packs`.
    func writeCondemnations(_ packs: [CondemnedPack], by device: DeviceID) throws(TandemError) {
        let record = CondemnationRecord(format: VaultFormat.fileVersion, device: device.rawValue, packs: packs.sorted { $0.pack < $1.pack })
        try writePerDeviceRecord(record, in: condemnedURL, to: condemnationRecordURL(device), purpose: .condemnationRecords,
                                 associatedData: Self.condemnationAssociatedData(device))
    }

    private static func condemnationAssociatedData(_ device: DeviceID) -> [UInt8] {
        Array("tandem-condemned \(device.rawValue)".utf8)
    }
}
