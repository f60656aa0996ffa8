import Foundation

/// One copy of an object found damaged: its pack does not give back bytes
/// that open under its address and hash to it. Recorded in the vault so that
/// no later backup, on any device, reuses that copy.
public struct DamagedObject: Codable, Sendable, Hashable {
    public var address: String
    /// The pack's name (64 hex digits).
    public var pack: String
    public var offset: Int
    public var reason: String
    public var foundMillis: Int64

    /// The key of one copy: an object is in a pack at most once.
    static func copy(_ address: String, pack: String) -> String { pack + "/" + address }
    var copy: String { Self.copy(address, pack: pack) }
}

/// `damage/<device-id>.json`: the damaged copies of objects one device has
/// found (by verify, restore, check or a full backup). Only that device
/// writes it, replacing it whole; every device reads them all.
extension Vault {
    var damageURL: URL { root.appendingPathComponent("damage", isDirectory: true) }

    func damageRecordURL(_ device: DeviceID) -> URL {
        damageURL.appendingPathComponent(device.rawValue + ".json")
    }

    private struct DamageRecord: Codable {
        var format: Int
        var device: String
        var objects: [DamagedObject]
    }

    /// Every device's recorded damage; records that cannot be read are
    /// returned as problems, by path.
    func damageRecords() -> (objects: [DamagedObject], problems: [(path: String, reason: String)]) {
        var objects: [DamagedObject] = []
        var problems: [(path: String, reason: String)] = []
        for (device, url) in perDeviceRecords(in: damageURL) {
            guard let device else {
                problems.append((url.path, "not a damage record"))
                continue
            }
            switch readDamageRecord(of: device) {
            case .success(let found): objects += found
            case .failure(let problem): problems.append((url.path, "damage record: \(problem.description)"))
            }
        }
        return (objects, problems)
    }

    private func readDamageRecord(of device: DeviceID) -> Result<[DamagedObject], RecordProblem> {
        let url = damageRecordURL(device)
        guard FileManager.default.fileExists(atPath: url.path) else { return .success([]) }
        switch readSealedJSON(at: url, limit: VaultFileLimit.damageRecord, purpose: .damageRecords, associatedData: Self.damageAssociatedData(device)) {
        case .failure(let problem): return .failure(problem)
        case .success(let plain):
            guard let record = try? JSONDecoder().decode(DamageRecord.self, from: plain), record.device == device.rawValue else {
                return .failure(RecordProblem(description: "not a valid damage record"))
            }
            return .success(record.objects)
        }
    }

    /// Adds `found` to `device`'s damage record. Copies whose pack is gone
    /// (pruned) are dropped from it; an unreadable old record is replaced.
    func recordDamage(_ found: [DamagedObject], by device: DeviceID) throws(TandemError) {
        guard !found.isEmpty else { return }
        let old = (try? readDamageRecord(of: device).get()) ?? []
        var seen = Set<String>()
        let objects = (old + found).filter { damaged in
            let pack = packsURL.appendingPathComponent(String(damaged.pack.prefix(2))).appendingPathComponent(damaged.pack)
            return FileManager.default.fileExists(atPath: pack.path) && seen.insert(damaged.copy).inserted
        }
        try writePerDeviceRecord(DamageRecord(format: VaultFormat.fileVersion, device: device.rawValue, objects: objects), in: damageURL,
                                 to: damageRecordURL(device), purpose: .damageRecords, associatedData: Self.damageAssociatedData(device))
    }

    private static func damageAssociatedData(_ device: DeviceID) -> [UInt8] {
        Array("tandem-damage \(device.rawValue)".utf8)
    }
}
