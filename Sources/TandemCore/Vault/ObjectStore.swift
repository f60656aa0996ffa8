#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation

/// Content-addressed objects, the chunks that snapshots are made of, kept
/// in packs (`Pack`). Any device may write one, and the same content always
/// gets the same address, so it is stored once (DESIGN §2, rule 1).
///
/// In an encrypted vault the address is HMAC-SHA256 of the content under
/// a subkey of the vault key, not its bare SHA-256: someone with the folder
/// but not the key cannot confirm that a file they know is in the vault.
/// Each object is sealed with AES-256-GCM, its address as associated data;
/// after opening, the content must hash to the address again.
extension Vault {
    var packsURL: URL { root.appendingPathComponent("packs", isDirectory: true) }

    /// The address of `content`: 64 hex digits.
    public func objectAddress(of content: [UInt8]) -> String {
        guard let key else { return Digest.hex(Digest.sha256(content)) }
        return Digest.hex(HMAC<SHA256>.authenticationCode(for: content, using: key.subkey(.objects)))
    }

    /// The objects of the vault as its packs hold them now: reads every
    /// pack's table of contents and the damage every device recorded. New
    /// objects are compressed as `compression` says; with `checkingReuse`,
    /// an object already in the vault is read and checked before a backup
    /// reuses it (a full backup).
    public func objects(compression: Compression = .standard, checkingReuse: Bool = false) throws(TandemError) -> ObjectStore {
        try ObjectStore(vault: self, compression: compression, checkingReuse: checkingReuse)
    }

    var objectSealer: any Sealer {
        key.map { AESGCMSealer(key: $0.subkey(.objects)) } ?? PlainSealer()
    }
}

/// The vault's objects: where each one lies, and the pack being filled.
/// Several threads store and read at once.
///
/// An object may have several copies (two devices stored it at once, or a
/// backup wrote again one found damaged). A copy recorded as damaged
/// (`DamagedObject`) is never reused by a backup; reading tries every copy.
public final class ObjectStore: @unchecked Sendable {
    let vault: Vault
    private let sealer: any Sealer
    private let compression: Compression
    private let checkingReuse: Bool
    private let lock = NSLock()
    /// Every copy of each object, in the order the packs were read.
    private(set) var locations: [String: [Location]] = [:]
    private(set) var packs: [String: [Pack.Entry]] = [:]
    /// Packs whose table of contents does not open, by path, and why.
    public private(set) var packProblems: [(path: String, reason: String)] = []
    /// The same, as "path: reason".
    public var damagedPacks: [String] { packProblems.map { "\($0.path): \($0.reason)" } }
    /// Copies known to be damaged, by `DamagedObject.copy`: recorded in the
    /// vault, or found by this store.
    private var distrusted: Set<String> = []
    /// Damage this store found that the vault's records did not hold yet.
    private var found: [DamagedObject] = []
    /// Copies read back and found whole while checking reuse: read once.
    private var checked: Set<String> = []
    /// Damage records that could not be read, by path, and why.
    public let unreadableDamageRecords: [(path: String, reason: String)]
    /// Files a killed writer left (`.tmp-*`), for prune.
    private(set) var leftovers: [String] = []
    /// Stored by this store but still in the pack being filled.
    private var pending: Set<String> = []
    private var filling: [UInt8] = []
    private var fillingEntries: [Pack.Entry] = []
    private var touched: Set<String> = []
    /// The objects this store depends on, by pack: those it wrote and those
    /// it reused. A pack condemned meanwhile has them copied out at `finish()`.
    private var needed: [String: Set<String>] = [:]
    /// Packs some device's prune condemned (`CondemnedPack`): still read,
    /// never reused, since a later prune removes them.
    private(set) var condemned: Set<String>
    /// The first pack that could not be written: its objects are lost, so
    /// every later store and finish fails with it.
    private var failure: TandemError?

    struct Location {
        var pack: String
        var offset: Int
        var length: Int
    }

    init(vault: Vault, compression: Compression, checkingReuse: Bool) throws(TandemError) {
        self.vault = vault
        self.compression = compression
        self.checkingReuse = checkingReuse
        sealer = vault.objectSealer
        let recorded = vault.damageRecords()
        distrusted = Set(recorded.objects.map(\.copy))
        condemned = vault.condemnedPackNames()
        unreadableDamageRecords = recorded.problems
        if FileManager.default.fileExists(atPath: vault.root.appendingPathComponent("objects").path) {
            packProblems.append((vault.root.appendingPathComponent("objects").path, "chunks in the one-file-per-chunk layout of a "
                                 + "development build, not read; take new snapshots"))
        }
        for prefix in listing(vault.packsURL.path) where prefix.count == 2 {
            let folder = vault.packsURL.appendingPathComponent(prefix).path
            for name in listing(folder) {
                if name.hasPrefix(AtomicFile.temporaryPrefix) { leftovers.append(folder + "/" + name); continue }
                guard name.count == 64, name.hasPrefix(prefix) else { continue }
                do {
                    let entries = try readTable(of: name)
                    packs[name] = entries
                    for entry in entries {
                        locations[entry.address, default: []].append(Location(pack: name, offset: entry.offset, length: entry.length))
                    }
                } catch {
                    if case .corruptObject(let path, let reason) = error { packProblems.append((path, reason)) } else {
                        packProblems.append((folder + "/" + name, error.description))
                    }
                }
            }
        }
        startPack()
    }

    /// The names in `folder`; none when it does not exist. A folder that
    /// cannot be read is reported with the damaged packs, by path.
    private func listing(_ folder: String) -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            if FileManager.default.fileExists(atPath: folder) { packProblems.append((folder, "cannot be listed: \(error.localizedDescription)")) }
            return []
        }
    }

    /// The folder of the packs, named when no pack is at fault.
    var packsFolder: String { vault.packsURL.path }

    func packURL(_ name: String) -> URL {
        vault.packsURL.appendingPathComponent(String(name.prefix(2)), isDirectory: true).appendingPathComponent(name)
    }

    /// The pack that holds object `address`, if any: a copy not known to be
    /// damaged when there is one.
    public func packURL(holding address: String) -> URL? {
        lock.withLock { trustedLocation(address) ?? locations[address]?.first }.map { packURL($0.pack) }
    }

    /// Whether the vault holds a copy of object `address` not known to be
    /// damaged (or this store is writing it).
    public func contains(_ address: String) -> Bool {
        lock.withLock { trustedLocation(address) != nil || pending.contains(address) }
    }

    /// Whether any pack here lists object `address`, damaged or not: an
    /// object no pack lists has not arrived (or was never written), which a
    /// restore tells apart from damage before it writes anything.
    public func isListed(_ address: String) -> Bool {
        lock.withLock { !(locations[address] ?? []).isEmpty || pending.contains(address) }
    }

    /// Why the vault has no copy of `address` to trust: none is listed, or
    /// each is recorded damaged (named by pack and offset).
    func missingReason(_ address: String) -> String {
        let copies = lock.withLock { locations[address] ?? [] }
        guard !copies.isEmpty else { return "no pack holds its object \(address)" }
        guard copies.count > 1 else { return "its object \(address), at byte \(copies[0].offset), is recorded damaged" }
        let places = copies.map { "\(packURL($0.pack).path) at byte \($0.offset)" }.joined(separator: ", ")
        return "every copy of its object \(address) is recorded damaged: \(places)"
    }

    /// The first copy of `address` not known to be damaged; under the lock.
    private func trustedLocation(_ address: String) -> Location? {
        locations[address]?.first { !distrusted.contains(DamagedObject.copy(address, pack: $0.pack)) }
    }

    /// The first copy of `address` a backup may reuse: not known to be
    /// damaged, and in a pack no prune condemned; under the lock.
    private func reusableLocation(_ address: String) -> Location? {
        locations[address]?.first { !condemned.contains($0.pack) && !distrusted.contains(DamagedObject.copy(address, pack: $0.pack)) }
    }

    /// The damage this store found that the vault had not recorded; the
    /// caller records it (`Vault.recordDamage`).
    public var newlyFoundDamage: [DamagedObject] {
        lock.withLock { found }
    }

    /// Marks one copy damaged; under the lock.
    private func distrust(_ address: String, _ location: Location, reason: String) {
        guard distrusted.insert(DamagedObject.copy(address, pack: location.pack)).inserted else { return }
        found.append(DamagedObject(address: address, pack: location.pack, offset: location.offset, reason: reason,
                                   foundMillis: Int64(Date().timeIntervalSince1970 * 1000)))
    }

    /// Whether copy `location` of `address` is marked damaged.
    func isDistrusted(_ address: String, in pack: String) -> Bool {
        lock.withLock { distrusted.contains(DamagedObject.copy(address, pack: pack)) }
    }

    // MARK: Writing

    /// Stores `content` unless the vault holds it already; returns its
    /// address, and the bytes it adds to the vault (0 when it was there).
    /// The object reaches a pack file when the pack is full or at `finish()`.
    ///
    /// An object found is touched: a prune spares packs younger than its
    /// grace period, so a pack that a backup running now reuses is not
    /// condemned under it. A copy known to be damaged, or in a condemned
    /// pack, is never reused; when the store checks reuse, the copy found is
    /// read and checked first, and one that fails is marked damaged and
    /// written again.
    @discardableResult
    public func store(_ content: [UInt8]) throws(TandemError) -> (address: String, written: Int) {
        if let failure = lock.withLock({ failure }) { throw failure }
        let address = vault.objectAddress(of: content)
        while touch(address) {
            guard checkingReuse, let location = lock.withLock({ reusableLocation(address) }) else { return (address, 0) }
            let copy = DamagedObject.copy(address, pack: location.pack)
            if lock.withLock({ checked.contains(copy) }) { return (address, 0) }
            if (try? readCopy(address, at: location)) != nil {
                lock.withLock { _ = checked.insert(copy) }
                return (address, 0)
            }
        }
        let claimed = lock.withLock { pending.insert(address).inserted }
        guard claimed else { return (address, 0) }
        var payload = [Self.storedRaw] + Pack.bigEndian(UInt32(content.count))
        if let level = compression.level, let compressed = Zstd.compressIfItPays(content, level: level) {
            payload[0] = Self.storedZstd
            payload += compressed
        } else {
            payload += content
        }
        let object: [UInt8]
        do { object = [sealer.kind] + (try sealer.seal(payload, associatedData: Self.associatedData(address))) } catch {
            throw .io(path: vault.packsURL.path, reason: "cannot seal: \(error)")
        }
        try add(address, object)
        return (address, object.count)
    }

    /// Adds a sealed object to the pack being filled, and writes the pack
    /// once it is full.
    func add(_ address: String, _ object: [UInt8]) throws(TandemError) {
        let full: ([UInt8], [Pack.Entry])? = lock.withLock {
            fillingEntries.append(Pack.Entry(address: address, offset: filling.count, length: object.count))
            filling += object
            guard filling.count >= Pack.targetSize else { return nil }
            defer { startPack() }
            return (filling, fillingEntries)
        }
        if let (objects, entries) = full { try writeOrFail(objects, entries) }
    }

    private func writeOrFail(_ objects: [UInt8], _ entries: [Pack.Entry]) throws(TandemError) {
        do { try writePack(objects, entries) } catch {
            lock.withLock { failure = failure ?? error }
            throw error
        }
    }

    /// Writes the pack being filled: then every object stored so far is
    /// durable (each pack is fsynced as it is written), and a manifest may
    /// name them.
    ///
    /// A prune elsewhere may have condemned, during a long backup, a pack
    /// it wrote or reused: the records are read again, and the objects it
    /// needs from such a pack are copied (sealed, as they are) into a new
    /// one, so the manifest names only packs no prune will remove.
    ///
    /// Every other pack this store wrote or reused an object from is
    /// touched again and must still be there: a prune judges packs by their
    /// last touch, so one that ran during a long backup could have condemned
    /// or removed a pack touched at its start. Then the snapshot fails
    /// instead of naming objects that are gone (a rerun writes them again).
    public func finish() throws(TandemError) {
        try writeFilling()
        let newlyCondemned = vault.condemnedPackNames()
        let rescue: [(address: String, location: Location)] = lock.withLock {
            condemned.formUnion(newlyCondemned)
            var rescue: [(String, Location)] = []
            for pack in touched.sorted() where condemned.contains(pack) {
                touched.remove(pack)
                for address in (needed.removeValue(forKey: pack) ?? []).sorted() where !pending.contains(address) {
                    // Held elsewhere: that pack is now one this backup depends on, touched and checked below.
                    if let other = reusableLocation(address) {
                        touched.insert(other.pack)
                        needed[other.pack, default: []].insert(address)
                        continue
                    }
                    guard let location = locations[address]?.first(where: { $0.pack == pack }) else { continue }
                    pending.insert(address)
                    rescue.append((address, location))
                }
            }
            return rescue
        }
        for (address, location) in rescue { try add(address, try readRaw(location)) }
        if !rescue.isEmpty { try writeFilling() }
        for pack in lock.withLock({ touched.sorted() }) {
            let path = packURL(pack).path
            guard utimes(path, nil) == 0 else {
                throw .io(path: path, reason: "removed while this backup used it (a prune elsewhere?): \(String(cString: strerror(errno))); run the backup again")
            }
        }
    }

    private func writeFilling() throws(TandemError) {
        if let failure = lock.withLock({ failure }) { throw failure }
        let (objects, entries) = lock.withLock {
            defer { startPack() }
            return (filling, fillingEntries)
        }
        if !entries.isEmpty { try writeOrFail(objects, entries) }
    }

    /// Room for a full pack and its table, so that it is not copied as it grows.
    private func startPack() {
        filling = []
        filling.reserveCapacity(Pack.targetSize + Chunker.maximumSize + (1 << 20))
        fillingEntries = []
    }

    private func writePack(_ objects: [UInt8], _ entries: [Pack.Entry]) throws(TandemError) {
        let name = Pack.newName()
        let url = packURL(name)
        let table: [UInt8]
        do { table = [sealer.kind] + (try sealer.seal(Pack.table(entries), associatedData: Pack.associatedData(name))) } catch {
            throw .io(path: url.path, reason: "cannot seal: \(error)")
        }
        let folder = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: folder.path) {
            try Vault.createPrivateFolder(folder)
            // A new folder's own name must be durable too, or a crash could lose it with its packs.
            AtomicFile.syncFolder(vault.packsURL.path)
            AtomicFile.syncFolder(vault.root.path)
        }
        do {
            // Fsynced one by one, not the whole file system at the end: that
            // would flush every other dirty file too (a database backup's copy).
            var pack = objects
            pack += table
            pack += Pack.trailer(tableLength: table.count)
            try AtomicFile.write(pack, to: url, replacing: false)
        } catch {
            throw .io(path: error.path, reason: error.reason)
        }
        lock.withLock {
            packs[name] = entries
            touched.insert(name)
            needed[name] = Set(entries.map(\.address))
            for entry in entries {
                pending.remove(entry.address)
                locations[entry.address, default: []].append(Location(pack: name, offset: entry.offset, length: entry.length))
            }
        }
    }

    /// Touches the pack of object `address` (once per store; see prune);
    /// false when the vault does not hold it. The first touch of a pack runs
    /// under the lock, so no other thread trusts a pack found gone meanwhile.
    func touch(_ address: String) -> Bool {
        lock.withLock {
            while let location = reusableLocation(address) {
                needed[location.pack, default: []].insert(address)
                guard touched.insert(location.pack).inserted else { return true }
                guard utimes(packURL(location.pack).path, nil) != 0, errno == ENOENT else { return true }
                // Pruned since this store read the tables: its copies are gone; another may remain.
                for entry in packs.removeValue(forKey: location.pack) ?? [] {
                    locations[entry.address]?.removeAll { $0.pack == location.pack }
                }
                touched.remove(location.pack)
                needed.removeValue(forKey: location.pack)
            }
            return pending.contains(address)
        }
    }

    // MARK: Reading

    /// The content of object `address`, from the first of its copies that
    /// opens (those not known to be damaged first); throws `corruptObject`
    /// naming the pack when it is missing, or no copy opens and matches its
    /// address. A copy that fails is marked damaged (`newlyFoundDamage`).
    public func read(_ address: String) throws(TandemError) -> [UInt8] {
        guard address.count == 64, address.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw .corruptObject(path: vault.packsURL.path, reason: "'\(Escaped.text(address))' is not an object address")
        }
        let copies: [Location] = lock.withLock {
            let all = locations[address] ?? []
            return all.filter { !distrusted.contains(DamagedObject.copy(address, pack: $0.pack)) }
                + all.filter { distrusted.contains(DamagedObject.copy(address, pack: $0.pack)) }
        }
        guard !copies.isEmpty else {
            let damaged = damagedPacks.isEmpty ? "" : "; damaged packs: " + damagedPacks.joined(separator: "; ")
            throw .corruptObject(path: vault.packsURL.path, reason: "no pack holds object \(address)\(damaged)")
        }
        var failures: [TandemError] = []
        for location in copies {
            do { return try readCopy(address, at: location) } catch { failures.append(error) }
        }
        guard failures.count > 1, case .corruptObject(let path, let reason) = failures[0] else { throw failures[0] }
        let others = copies.dropFirst().map { packURL($0.pack).path }.joined(separator: ", ")
        throw .corruptObject(path: path, reason: "\(reason); its other copies fail too: \(others)")
    }

    /// One copy's content; a copy that does not open or match is marked damaged.
    private func readCopy(_ address: String, at location: Location) throws(TandemError) -> [UInt8] {
        do {
            let object = try readRaw(location)
            return try Self.openObject(object, address: address, sealer: sealer, vault: vault, path: packURL(location.pack).path,
                                       offset: location.offset)
        } catch {
            if case .corruptObject(_, let reason) = error { lock.withLock { distrust(address, location, reason: reason) } }
            throw error
        }
    }

    func readRaw(_ location: Location) throws(TandemError) -> [UInt8] {
        let path = packURL(location.pack).path
        let fd = try Self.openPack(path).fd
        defer { close(fd) }
        guard let bytes = Pack.read(fd, offset: location.offset, length: location.length) else {
            throw .corruptObject(path: path, reason: "ends before the object at byte \(location.offset)")
        }
        return bytes
    }

    private static func openObject(_ object: [UInt8], address: String, sealer: any Sealer, vault: Vault,
                             path: String, offset: Int) throws(TandemError) -> [UInt8] {
        let place = "the object at byte \(offset)"
        guard object.first == sealer.kind else { throw .corruptObject(path: path, reason: "\(place) is not sealed with this vault's method") }
        let payload: [UInt8]
        do { payload = try sealer.open(object.dropFirst(), associatedData: associatedData(address)) } catch {
            throw .corruptObject(path: path, reason: "\(place) does not open: \(error)")
        }
        guard payload.count >= 5, payload[0] == storedRaw || payload[0] == storedZstd else {
            throw .corruptObject(path: path, reason: "\(place) has an unknown content encoding")
        }
        let size = Int(Pack.readBigEndian(payload, at: 1))
        let content: [UInt8]
        if payload[0] == storedZstd {
            guard let expanded = Zstd.decompress(payload[5...], size: size) else {
                throw .corruptObject(path: path, reason: "\(place): its compressed content does not expand")
            }
            content = expanded
        } else {
            content = Array(payload[5...])
        }
        guard vault.objectAddress(of: content) == address else {
            throw .corruptObject(path: path, reason: "\(place): its content does not match its address")
        }
        return content
    }

    /// The entries of pack `name`, from its sealed table of contents.
    private func readTable(of name: String) throws(TandemError) -> [Pack.Entry] {
        let path = packURL(name).path
        let (fd, size) = try Self.openPack(path)
        defer { close(fd) }
        guard size >= Pack.trailerSize, let trailer = Pack.read(fd, offset: size - Pack.trailerSize, length: Pack.trailerSize),
              let tableLength = Pack.tableLength(fromTrailer: trailer), tableLength > 0, tableLength <= size - Pack.trailerSize else {
            throw .corruptObject(path: path, reason: "not a pack: its trailer is missing or damaged")
        }
        guard tableLength <= VaultFileLimit.packTable else {
            throw .corruptObject(path: path, reason: "its trailer claims a table of \(tableLength) bytes, more than the \(VaultFileLimit.packTable) a pack's table may hold")
        }
        let objectsEnd = size - Pack.trailerSize - tableLength
        guard let sealed = Pack.read(fd, offset: objectsEnd, length: tableLength), sealed.first == sealer.kind else {
            throw .corruptObject(path: path, reason: "its table of contents is not sealed with this vault's method")
        }
        let table: [UInt8]
        do { table = try sealer.open(sealed.dropFirst(), associatedData: Pack.associatedData(name)) } catch {
            throw .corruptObject(path: path, reason: "its table of contents does not open: \(error)")
        }
        guard let entries = Pack.entries(ofTable: table, objectsEnd: objectsEnd) else {
            throw .corruptObject(path: path, reason: "its table of contents is malformed")
        }
        return entries
    }

    /// A pack opened for reading, and its size; one that is missing, not a
    /// regular file (a FIFO would block the reader) or unreadable is damaged.
    private static func openPack(_ path: String) throws(TandemError) -> (fd: Int32, size: Int) {
        let opened: (fd: Int32, size: Int)?
        do { opened = try AtomicFile.openRegularFile(path) } catch { throw .corruptObject(path: path, reason: error.reason) }
        guard let opened else { throw .corruptObject(path: path, reason: String(cString: strerror(ENOENT))) }
        return opened
    }

    /// How a payload holds its content: as it is, or zstd-compressed (1 was
    /// zlib, never written by a release).
    private static let storedRaw: UInt8 = 0
    private static let storedZstd: UInt8 = 2

    private static func associatedData(_ address: String) -> [UInt8] {
        Array("tandem-object \(address)".utf8)
    }
}
