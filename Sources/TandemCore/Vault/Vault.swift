import Foundation

/// A vault folder (DESIGN §2): what it holds and the only code that reads or
/// writes it. Each device writes only its own paths; every write is atomic.
public struct Vault: Sendable {
    public let root: URL
    public let codec: SegmentCodec

    public init(root: URL, codec: SegmentCodec = SegmentCodec()) {
        self.root = root.standardizedFileURL
        self.codec = codec
    }

    public var descriptorURL: URL { root.appendingPathComponent("vault.json") }
    var devicesURL: URL { root.appendingPathComponent("devices", isDirectory: true) }
    var logURL: URL { root.appendingPathComponent("log", isDirectory: true) }

    public func logFolder(of device: DeviceID) -> URL {
        logURL.appendingPathComponent(device.rawValue, isDirectory: true)
    }

    public func segmentURL(device: DeviceID, seq: UInt64) -> URL {
        logFolder(of: device).appendingPathComponent(VaultFormat.segmentName(seq))
    }

    public func deviceRecordURL(_ device: DeviceID) -> URL {
        devicesURL.appendingPathComponent(device.rawValue + ".json")
    }

    // MARK: Creating and opening

    /// Creates a new vault at `root` (the folder may exist but must hold no vault).
    @discardableResult
    public static func create(at root: URL, owner: String, now: Date = Date()) throws(TandemError) -> VaultDescriptor {
        let vault = Vault(root: root)
        let manager = FileManager.default
        if manager.fileExists(atPath: vault.descriptorURL.path) { throw .vaultAlreadyExists(path: vault.root.path) }
        guard !owner.isEmpty, owner.utf8.count <= 256, !owner.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .vaultCorrupt(path: vault.descriptorURL.path, reason: "the owner id must be 1–256 characters without control characters")
        }
        do {
            for folder in [vault.root, vault.devicesURL, vault.logURL] {
                try manager.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw .io(path: vault.root.path, reason: "cannot create the vault folder: \(error.localizedDescription)")
        }
        let descriptor = VaultDescriptor(id: UUID().uuidString.lowercased(), owner: owner, created: ISO8601DateFormatter().string(from: now))
        try vault.writeJSON(descriptor, to: vault.descriptorURL, replacing: false)
        return descriptor
    }

    /// True when the vault folder can be read now; a missing or unreadable
    /// folder means the device is offline, not that anything is wrong.
    public var isReachable: Bool {
        access(descriptorURL.path, R_OK) == 0
    }

    /// Reads `vault.json`, refusing garbage and newer formats.
    public func readDescriptor() throws(TandemError) -> VaultDescriptor {
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(descriptorURL) } catch { throw .io(path: error.path, reason: error.reason) }
        guard let bytes else { throw .vaultMissing(path: root.path) }
        struct FormatOnly: Decodable { var format: Int }
        guard let format = try? JSONDecoder().decode(FormatOnly.self, from: Data(bytes)).format else {
            throw .vaultCorrupt(path: descriptorURL.path, reason: "not the JSON of a vault descriptor")
        }
        guard format <= VaultFormat.version else { throw .vaultUnsupportedFormat(path: descriptorURL.path, format: format) }
        do {
            let descriptor = try JSONDecoder().decode(VaultDescriptor.self, from: Data(bytes))
            guard descriptor.sealing == PlainSealer.name else {
                throw TandemError.vaultCorrupt(path: descriptorURL.path, reason: "unknown sealing method '\(Escaped.text(descriptor.sealing))'")
            }
            return descriptor
        } catch let error as TandemError {
            throw error
        } catch {
            throw .vaultCorrupt(path: descriptorURL.path, reason: "missing or invalid fields")
        }
    }

    // MARK: Segments

    /// Reads `device`'s segment `seq`; nil when it is not there (yet).
    public func readSegment(device: DeviceID, seq: UInt64) throws(TandemError) -> (segment: Segment, hash: [UInt8])? {
        let url = segmentURL(device: device, seq: seq)
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(url) } catch { throw .io(path: error.path, reason: error.reason) }
        guard let bytes else { return nil }
        do {
            let segment = try codec.decode(bytes, device: device, seq: seq)
            return (segment, Digest.sha256(bytes))
        } catch {
            throw .corruptSegment(path: url.path, reason: error.description)
        }
    }

    /// Writes a new segment; never replaces one. Returns the file's hash, which
    /// the next segment of the device carries.
    public func writeSegment(_ segment: Segment) throws(TandemError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try codec.encode(segment) } catch {
            throw .io(path: segmentURL(device: segment.device, seq: segment.seq).path, reason: "cannot seal: \(error)")
        }
        let folder = logFolder(of: segment.device)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: folder.path, reason: error.localizedDescription)
        }
        do {
            try AtomicFile.write(bytes, to: segmentURL(device: segment.device, seq: segment.seq), replacing: false)
        } catch {
            throw .io(path: error.path, reason: error.reason)
        }
        return Digest.sha256(bytes)
    }

    /// The devices that have a log folder; folders whose names are not device
    /// ids are ignored.
    public func loggingDevices() throws(TandemError) -> [DeviceID] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: logURL.path)
                .compactMap(DeviceID.init(validating:))
                .sorted()
        } catch {
            if !FileManager.default.fileExists(atPath: logURL.path) { return [] }
            throw .io(path: logURL.path, reason: error.localizedDescription)
        }
    }

    // MARK: Device records

    public func writeDeviceRecord(_ record: DeviceRecord) throws(TandemError) {
        try writeJSON(record, to: deviceRecordURL(record.id), replacing: true)
    }

    /// Every readable device record; unreadable ones are reported by path.
    public func deviceRecords() -> (records: [DeviceRecord], problems: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: devicesURL.path) else { return ([], []) }
        var records: [DeviceRecord] = []
        var problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(AtomicFile.temporaryPrefix) {
            let url = devicesURL.appendingPathComponent(name)
            guard let id = DeviceID(validating: String(name.dropLast(5))),
                  let data = try? Data(contentsOf: url),
                  let record = try? JSONDecoder().decode(DeviceRecord.self, from: data),
                  record.id == id else {
                problems.append("\(url.path): not a valid device record")
                continue
            }
            records.append(record)
        }
        return (records, problems)
    }

    private func writeJSON<T: Encodable>(_ value: T, to url: URL, replacing: Bool) throws(TandemError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(value) } catch { throw .io(path: url.path, reason: "cannot encode: \(error)") }
        do {
            try AtomicFile.write(Array(data) + [0x0A], to: url, replacing: replacing)
        } catch {
            throw .io(path: error.path, reason: error.reason)
        }
    }
}
