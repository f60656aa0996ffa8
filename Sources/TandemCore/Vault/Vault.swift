#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A vault folder (DESIGN §2): what it holds and the only code that reads or
/// writes it. Each device writes only its own paths; every write is atomic.
public struct Vault: Sendable {
    public let root: URL
    public let codec: SegmentCodec
    /// The key of an encrypted vault, once unlocked (see `unlocked(_:with:)`);
    /// nil for a plain vault, or one only read for its public parts.
    public let key: VaultKey?

    /// The vault at `root`, as far as it can be used without a key: its
    /// descriptor, its folders, and the segments of a plain vault.
    public init(root: URL) {
        self.root = root.standardizedFileURL
        self.codec = SegmentCodec()
        self.key = nil
    }

    /// The vault at `root`, opening and sealing files with `key`.
    init(root: URL, key: VaultKey) {
        self.root = root.standardizedFileURL
        self.codec = SegmentCodec(sealer: AESGCMSealer(key: key.subkey(.segments)))
        self.key = key
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

    /// Creates a new vault at `root` (the folder may exist but must hold no
    /// vault). With a passphrase, the vault gets a random key; its recovery
    /// phrase is returned once and stored nowhere.
    @discardableResult
    public static func create(at root: URL, owner: String, protection: VaultProtection, now: Date = Date()) throws(TandemError) -> CreatedVault {
        let vault = Vault(root: root)
        let manager = FileManager.default
        if manager.fileExists(atPath: vault.descriptorURL.path) { throw .vaultAlreadyExists(path: vault.root.path) }
        guard !owner.isEmpty, owner.utf8.count <= 256, !owner.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .vaultCorrupt(path: vault.descriptorURL.path, reason: "the owner id must be 1–256 characters without control characters")
        }
        var descriptor = VaultDescriptor(id: UUID().uuidString.lowercased(), owner: owner, created: ISO8601DateFormatter().string(from: now))
        var phrase: [String]?
        var newKey: (key: VaultKey, passphrase: String, parameters: ScryptParameters)?
        if case .passphrase(let passphrase, let parameters) = protection {
            if let problem = parameters.problem { throw .vaultCorrupt(path: vault.descriptorURL.path, reason: problem) }
            guard !passphrase.isEmpty else { throw .emptyPassphrase }
            let key = VaultKey.random()
            newKey = (key, passphrase, parameters)
            descriptor.keyCheck = Data(key.check(vaultID: descriptor.id, owner: owner)).base64EncodedString()
            descriptor.sealing = AESGCMSealer.name
            phrase = RecoveryPhrase.words(for: key)
        }
        do {
            for folder in [vault.root, vault.devicesURL, vault.logURL] {
                try manager.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            // A folder that existed keeps its mode otherwise; the vault is for its owner alone.
            try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: vault.root.path)
        } catch {
            throw .io(path: vault.root.path, reason: "cannot create the vault folder: \(error.localizedDescription)")
        }
        // The key file first: a vault.json is a vault, and must open.
        if let newKey {
            try vault.addKeyFile(key: newKey.key, passphrase: newKey.passphrase, parameters: newKey.parameters, descriptor: descriptor, now: now)
        }
        try vault.writeJSON(descriptor.sealedWithChecksum, to: vault.descriptorURL, replacing: false)
        return CreatedVault(descriptor: descriptor.sealedWithChecksum, recoveryPhrase: phrase)
    }

    /// True when the vault folder can be read now; a missing or unreadable
    /// folder means the device is offline, not that anything is wrong.
    public var isReachable: Bool {
        access(descriptorURL.path, R_OK) == 0
    }

    /// Reads `vault.json`, refusing garbage and newer formats.
    public func readDescriptor() throws(TandemError) -> VaultDescriptor {
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(descriptorURL, limit: VaultFileLimit.descriptor) } catch {
            throw error.isRefusal ? .vaultCorrupt(path: error.path, reason: error.reason) : .io(path: error.path, reason: error.reason)
        }
        guard let bytes else { throw .vaultMissing(path: root.path) }
        struct FormatOnly: Decodable { var format: Int }
        guard let format = try? JSONDecoder().decode(FormatOnly.self, from: Data(bytes)).format else {
            throw .vaultCorrupt(path: descriptorURL.path, reason: "not the JSON of a vault descriptor")
        }
        guard format <= VaultFormat.version else { throw .vaultUnsupportedFormat(path: descriptorURL.path, format: format) }
        let descriptor: VaultDescriptor
        do {
            descriptor = try JSONDecoder().decode(VaultDescriptor.self, from: Data(bytes))
        } catch {
            throw .vaultCorrupt(path: descriptorURL.path, reason: "missing or invalid fields")
        }
        if let checksum = descriptor.checksum, checksum != VaultDescriptor.checksum(ofJSON: Data(bytes)) {
            throw .vaultCorrupt(path: descriptorURL.path, reason: "its checksum does not match its fields (the file is damaged or was edited)")
        }
        switch descriptor.sealing {
        case PlainSealer.name:
            break
        case AESGCMSealer.name:
            guard descriptor.checksum != nil else { throw .vaultCorrupt(path: descriptorURL.path, reason: "an encrypted vault's descriptor lacks its checksum") }
            if descriptor.format >= VaultFormat.keyFilesSince {
                guard let check = descriptor.keyCheck, Data(base64Encoded: check)?.count == 32 else {
                    throw .vaultCorrupt(path: descriptorURL.path, reason: "encrypted, but its key check is missing or malformed")
                }
            } else {
                guard let encryption = descriptor.encryption else { throw .vaultCorrupt(path: descriptorURL.path, reason: "encrypted, but the key section is missing") }
                if let problem = encryption.problem { throw .vaultCorrupt(path: descriptorURL.path, reason: problem) }
            }
        default:
            throw .vaultCorrupt(path: descriptorURL.path, reason: "unknown sealing method '\(Escaped.text(descriptor.sealing))'")
        }
        return descriptor
    }

    // MARK: Keys

    /// True when the vault holds a segment or device record sealed with a
    /// key: a `vault.json` that says `plain` beside them was replaced, and
    /// joining it would push this device's data in clear.
    func holdsSealedFiles() -> Bool {
        for device in (try? loggingDevices()) ?? [] {
            if let header = try? AtomicFile.readPrefix(segmentURL(device: device, seq: 1), count: 6),
               header.count == 6, header[5] != PlainSealer().kind { return true }
        }
        let records = (try? FileManager.default.contentsOfDirectory(atPath: devicesURL.path)) ?? []
        return records.contains { name in
            name.hasSuffix(".json") && ((try? AtomicFile.read(devicesURL.appendingPathComponent(name), limit: VaultFileLimit.deviceRecord)) ?? nil).map {
                (try? JSONDecoder().decode(SealedRecord.self, from: Data($0))) != nil
            } ?? false
        }
    }

    /// This vault, able to open and seal its files. A plain vault needs no
    /// credential; an encrypted one throws `vaultLocked` without one, and
    /// `wrongPassphrase`, `wrongRecoveryPhrase` or `vaultKeyMismatch` for a
    /// credential that is not its own.
    public func unlocked(_ descriptor: VaultDescriptor, with credential: VaultCredential?) throws(TandemError) -> Vault {
        guard descriptor.isEncrypted else { return Vault(root: root) }
        guard let credential else { throw .vaultLocked(path: root.path) }
        let path = descriptorURL.path
        switch credential {
        case .passphrase(let passphrase):
            return Vault(root: root, key: try openKey(passphrase: passphrase, descriptor: descriptor).key)
        case .recoveryPhrase(let phrase):
            let key = try RecoveryPhrase.key(from: phrase)
            guard descriptor.accepts(key) else {
                throw .wrongRecoveryPhrase(reason: "the phrase is well formed but opens another vault, not the one at \(root.path)")
            }
            return Vault(root: root, key: key)
        case .key(let key):
            guard descriptor.accepts(key) else { throw .vaultKeyMismatch(path: path) }
            return Vault(root: root, key: key)
        }
    }

    /// Wraps the vault key under a new passphrase. No data is rewritten:
    /// every device, remembered key and the recovery phrase keep working.
    ///
    /// From format 5 a new key file is written and, once it is durable, the
    /// one `credential` opened is removed (with the recovery phrase, whose
    /// use means the passphrase is lost, every other key file is; with a
    /// key, none, so the new passphrase joins the others). Before format 5
    /// `vault.json` is rewritten, as it always was.
    @discardableResult
    public func changePassphrase(using credential: VaultCredential, to passphrase: String,
                                 parameters: ScryptParameters = ScryptParameters()) throws(TandemError) -> VaultDescriptor {
        var descriptor = try readDescriptor()
        guard descriptor.isEncrypted else { throw .vaultNotEncrypted(path: root.path) }
        guard !passphrase.isEmpty else { throw .emptyPassphrase }
        if let problem = parameters.problem { throw .vaultCorrupt(path: descriptorURL.path, reason: problem) }
        var replaced: [String] = []
        let key: VaultKey
        if case .passphrase(let old) = credential, descriptor.format >= VaultFormat.keyFilesSince {
            let opened = try openKey(passphrase: old, descriptor: descriptor)
            key = opened.key
            replaced = opened.file.map { [$0] } ?? []
        } else {
            guard let unlockedKey = try unlocked(descriptor, with: credential).key else { throw .vaultLocked(path: root.path) }
            key = unlockedKey
            if case .recoveryPhrase = credential { replaced = keyFiles().files.map(\.id) }
        }
        guard descriptor.format >= VaultFormat.keyFilesSince else {
            do {
                descriptor.encryption = try VaultEncryption.make(key: key, passphrase: passphrase, scrypt: parameters, vaultID: descriptor.id, owner: descriptor.owner)
            } catch {
                throw .io(path: descriptorURL.path, reason: "cannot derive the key: \(error)")
            }
            let old = try readDescriptor().encryption
            try writeJSON(descriptor.sealedWithChecksum, to: descriptorURL, replacing: true)
            // A killed upgrade may have left the old wrapping as a key file: an upgrade now would bring the old passphrase back.
            for file in keyFiles().files where file.encryption == old { try removeKeyFile(file.id) }
            return descriptor.sealedWithChecksum
        }
        let added = try addKeyFile(key: key, passphrase: passphrase, parameters: parameters, descriptor: descriptor)
        // The new passphrase must open its file as written before any other goes.
        guard (try? openKey(passphrase: passphrase, descriptor: descriptor).file) == added else {
            throw .io(path: keyFileURL(added).path, reason: "the new key file does not open with the new passphrase once written; no key file was removed")
        }
        for id in replaced { try removeKeyFile(id) }
        return descriptor
    }

    /// Raises `vault.json`'s format to this build's. Devices running a
    /// Tandem that knows only an earlier format are refused by this vault
    /// from then on, with a message that says to upgrade, before they write
    /// anything. An encrypted vault's wrapping moves from `vault.json` into
    /// a key file (format 5), written before `vault.json` changes, so a
    /// killed upgrade leaves a vault that opens; a rerun does not write it twice.
    @discardableResult
    public func upgradeFormat() throws(TandemError) -> Bool {
        var descriptor = try readDescriptor()
        guard descriptor.format < VaultFormat.version else { return false }
        if descriptor.isEncrypted, let encryption = descriptor.encryption {
            if !keyFiles().files.contains(where: { $0.encryption == encryption }) { try addKeyFile(encryption) }
            descriptor.keyCheck = encryption.keyCheck
            descriptor.encryption = nil
        }
        descriptor.format = VaultFormat.version
        try writeJSON(descriptor.checksum == nil ? descriptor : descriptor.sealedWithChecksum, to: descriptorURL, replacing: true)
        return true
    }

    // MARK: Segments

    /// Reads `device`'s segment `seq`; nil when it is not there (yet).
    public func readSegment(device: DeviceID, seq: UInt64) throws(TandemError) -> (segment: Segment, hash: [UInt8])? {
        let url = segmentURL(device: device, seq: seq)
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(url, limit: VaultFileLimit.segment) } catch {
            throw error.isRefusal ? .corruptSegment(path: error.path, reason: error.reason) : .io(path: error.path, reason: error.reason)
        }
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
        let sealed = try sealSegment(segment)
        try placeSegment(sealed)
        return sealed.hash
    }

    /// A segment's file bytes, sealed, and their hash: known before the file
    /// is placed, so a device can note what it is about to write.
    public struct SealedSegment: Sendable {
        public var device: DeviceID
        public var seq: UInt64
        public var bytes: [UInt8]
        public var hash: [UInt8] { Digest.sha256(bytes) }
    }

    public func sealSegment(_ segment: Segment) throws(TandemError) -> SealedSegment {
        do {
            return SealedSegment(device: segment.device, seq: segment.seq, bytes: try codec.encode(segment))
        } catch {
            throw .io(path: segmentURL(device: segment.device, seq: segment.seq).path, reason: "cannot seal: \(error)")
        }
    }

    /// Places a sealed segment at its name; fails when the name is taken.
    public func placeSegment(_ sealed: SealedSegment) throws(TandemError) {
        let folder = logFolder(of: sealed.device)
        try Self.createPrivateFolder(folder)
        do {
            try AtomicFile.write(sealed.bytes, to: segmentURL(device: sealed.device, seq: sealed.seq), replacing: false)
        } catch {
            throw .io(path: error.path, reason: error.reason)
        }
    }

    /// True when a file (of any kind) holds `device`'s name `seq`.
    public func segmentExists(device: DeviceID, seq: UInt64) -> Bool {
        var info = stat()
        return lstat(segmentURL(device: device, seq: seq).path, &info) == 0
    }

    /// The seqs of `device`'s log after `seq`, ascending, read from its
    /// folder: what a reader looks at when the next seq is missing or bad.
    public func segmentSeqs(device: DeviceID, after seq: UInt64) -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logFolder(of: device).path)) ?? []
        return names.compactMap(VaultFormat.segmentSeq).filter { $0 > seq }.sorted()
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

    /// Writes this device's record, sealed when the vault is encrypted (a
    /// record names the device and when it synced, which is nobody else's
    /// business, and a forged one would mislead every devices screen).
    public func writeDeviceRecord(_ record: DeviceRecord) throws(TandemError) {
        let url = deviceRecordURL(record.id)
        guard key != nil else { return try writeJSON(record, to: url, replacing: true) }
        let plain: Data
        do { plain = try JSONEncoder().encode(record) } catch { throw .io(path: url.path, reason: "cannot encode: \(error)") }
        try writeSealedJSON(plain, to: url, purpose: .deviceRecords, associatedData: Self.recordAssociatedData(record.id), replacing: true)
    }

    /// Writes `plain` JSON at `url`: as it is in a plain vault, else sealed
    /// in an envelope `{"format": 1, "sealed": base64}`.
    func writeSealedJSON(_ plain: Data, to url: URL, purpose: VaultKey.Purpose, associatedData: [UInt8], replacing: Bool) throws(TandemError) {
        guard let key else {
            do { try AtomicFile.write(Array(plain) + [0x0A], to: url, replacing: replacing) } catch { throw .io(path: error.path, reason: error.reason) }
            return
        }
        let sealed: [UInt8]
        do { sealed = try AESGCMSealer(key: key.subkey(purpose)).seal(Array(plain), associatedData: associatedData) } catch {
            throw .io(path: url.path, reason: "cannot seal: \(error)")
        }
        try writeJSON(SealedRecord(format: VaultFormat.fileVersion, sealed: Data(sealed).base64EncodedString()), to: url, replacing: replacing)
    }

    /// The files of a folder of per-device records (`damage/`,
    /// `condemned/`), sorted: each with the device its name gives, or nil
    /// when the name is not `<device-id>.json`. Hidden files (writes in
    /// progress, a synced folder's own) are left out.
    func perDeviceRecords(in folder: URL) -> [(device: DeviceID?, url: URL)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.sorted().filter { !$0.hasPrefix(".") }.map { name in
            (name.hasSuffix(".json") ? DeviceID(validating: String(name.dropLast(5))) : nil, folder.appendingPathComponent(name))
        }
    }

    /// Replaces a per-device record (`damage/`, `condemned/`) with `record`,
    /// as compact JSON with sorted keys, sealed under `purpose`.
    func writePerDeviceRecord<Record: Encodable>(_ record: Record, in folder: URL, to url: URL, purpose: VaultKey.Purpose,
                                                 associatedData: [UInt8]) throws(TandemError) {
        try Self.createPrivateFolder(folder)
        try writeSealedJSON(try Self.sortedJSON(record, for: url), to: url, purpose: purpose, associatedData: associatedData, replacing: true)
    }

    /// Makes `folder`, and the folders leading to it, readable by their owner only.
    static func createPrivateFolder(_ folder: URL) throws(TandemError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: folder.path, reason: error.localizedDescription)
        }
    }

    /// `value` as compact JSON with sorted keys, the form sealed records and
    /// manifests are stored in; an error names `url`, where it was going.
    static func sortedJSON<Value: Encodable>(_ value: Value, for url: URL) throws(TandemError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(value) } catch { throw .io(path: url.path, reason: "cannot encode: \(error)") }
    }

    /// The JSON written by `writeSealedJSON`, opened; a file over `limit`
    /// bytes, or not a regular file, is not read.
    func readSealedJSON(at url: URL, limit: Int, purpose: VaultKey.Purpose, associatedData: [UInt8]) -> Result<Data, RecordProblem> {
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(url, limit: limit) } catch { return .failure(RecordProblem(description: error.reason)) }
        guard let bytes else { return .failure(RecordProblem(description: "missing")) }
        return openSealedJSON(Data(bytes), purpose: purpose, associatedData: associatedData)
    }

    /// The envelope of a sealed device record.
    struct SealedRecord: Codable {
        var format: Int
        var sealed: String
    }

    private static func recordAssociatedData(_ device: DeviceID) -> [UInt8] {
        Array("tandem-device-record \(device.rawValue)".utf8)
    }

    /// Every readable device record, and every record file that does not
    /// open or decode, by path and why.
    public func deviceRecords() -> DeviceRecordListing {
        var listing = DeviceRecordListing()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: devicesURL.path) else { return listing }
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(AtomicFile.temporaryPrefix) {
            let url = devicesURL.appendingPathComponent(name)
            let id = DeviceID(validating: String(name.dropLast(5)))
            func damaged(_ reason: String) { listing.damaged.append(DamagedDeviceRecord(path: url.path, device: id, reason: reason)) }
            guard let id else {
                damaged("not a valid device record (its name is not a device id)")
                continue
            }
            let bytes: [UInt8]?
            do { bytes = try AtomicFile.read(url, limit: VaultFileLimit.deviceRecord) } catch {
                damaged(error.reason)
                continue
            }
            // Removed since the listing: nothing to report.
            guard let bytes else { continue }
            switch openRecord(Data(bytes), id: id) {
            case .success(let record): listing.records.append(record)
            case .failure(let problem): damaged(problem.description)
            }
        }
        return listing
    }

    struct RecordProblem: Error, CustomStringConvertible {
        var description: String
    }

    private func openRecord(_ data: Data, id: DeviceID) -> Result<DeviceRecord, RecordProblem> {
        let plain: Data
        switch openSealedJSON(data, purpose: .deviceRecords, associatedData: Self.recordAssociatedData(id)) {
        case .success(let opened): plain = opened
        case .failure(let problem): return .failure(problem)
        }
        guard let record = try? JSONDecoder().decode(DeviceRecord.self, from: plain), record.id == id else {
            return .failure(RecordProblem(description: "not a valid device record"))
        }
        return .success(record)
    }

    private func openSealedJSON(_ data: Data, purpose: VaultKey.Purpose, associatedData: [UInt8]) -> Result<Data, RecordProblem> {
        guard let envelope = try? JSONDecoder().decode(SealedRecord.self, from: data) else {
            // In an encrypted vault every such file is sealed: a plain one was put there by someone without the key.
            return key == nil ? .success(data) : .failure(RecordProblem(description: "not sealed, in an encrypted vault"))
        }
        guard let key else { return .failure(RecordProblem(description: "sealed, and the vault is locked")) }
        guard let sealed = Data(base64Encoded: envelope.sealed),
              let opened = try? AESGCMSealer(key: key.subkey(purpose)).open(ArraySlice(sealed), associatedData: associatedData) else {
            return .failure(RecordProblem(description: "does not open (damaged, forged, or in another file's place)"))
        }
        return .success(Data(opened))
    }

    func writeJSON<T: Encodable>(_ value: T, to url: URL, replacing: Bool) throws(TandemError) {
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

/// A new vault, and the recovery phrase of its key when it is encrypted: the
/// only time the phrase is ever shown.
public struct CreatedVault: Sendable {
    public var descriptor: VaultDescriptor
    public var recoveryPhrase: [String]?
}
