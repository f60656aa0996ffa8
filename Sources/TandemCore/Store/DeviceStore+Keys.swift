#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import GRDB

/// The vault key as a device holds it: in memory once unlocked, and in the
/// store only when the person asked to remember it there.
///
/// A remembered key is as safe as the store file: mode 0600 in a 0700
/// folder, readable by the person's own account and root. The store already
/// holds every value in clear, so the key adds one power only: writing
/// segments the other devices will accept. `lock()` forgets it.
extension DeviceStore {
    /// The vault of this device, able to open its files. Checks `vault.json`
    /// against what the device joined (id, owner, sealing method) and the key
    /// against the vault. The key comes from `credential`, else from an
    /// earlier unlock in this process, else from the store if remembered;
    /// without one an encrypted vault throws `vaultLocked`.
    public func vault(credential: VaultCredential? = nil) throws(TandemError) -> Vault {
        let info = try info()
        let plain = Vault(root: URL(fileURLWithPath: info.vaultPath))
        let descriptor = try plain.readDescriptor()
        guard descriptor.id == info.vaultID else {
            throw .wrongVault(path: plain.root.path, expected: info.vaultID, found: descriptor.id)
        }
        guard descriptor.owner == info.owner else {
            throw .ownerMismatch(path: plain.root.path, vaultOwner: descriptor.owner, requested: info.owner)
        }
        let joined = try joinedSealing()
        guard descriptor.sealing == joined else {
            throw .sealingChanged(path: plain.descriptorURL.path, expected: joined, found: descriptor.sealing)
        }
        guard descriptor.isEncrypted else { return plain }
        var chosen = credential ?? sessionKey.value.map(VaultCredential.key)
        if chosen == nil { chosen = try rememberedKey().map(VaultCredential.key) }
        guard let chosen else { throw .vaultLocked(path: plain.root.path) }
        let unlocked = try plain.unlocked(descriptor, with: chosen)
        sessionKey.value = unlocked.key
        return unlocked
    }

    /// The vault's device records, for names and the devices screen, read
    /// with the key at hand. Without one, the sealed records are left out:
    /// showing a list never asks for a passphrase.
    public func readableDeviceRecords() -> [DeviceRecord] {
        deviceRecordListing().records
    }

    /// The records `readableDeviceRecords` gives, with the record files
    /// that do not open or decode. Without the key nothing is read, so
    /// nothing is called damaged either.
    public func deviceRecordListing() -> DeviceRecordListing {
        if let vault = try? vault() { return vault.deviceRecords() }
        // Without the key, only a plain vault's records may be read: in an
        // encrypted one a plain record is a forgery.
        guard (try? joinedSealing()) == PlainSealer.name, let info = try? info() else { return DeviceRecordListing() }
        return Vault(root: URL(fileURLWithPath: info.vaultPath)).deviceRecords()
    }

    /// True when syncing needs a key this device does not have yet: the vault
    /// is encrypted, and nothing was unlocked or remembered.
    public func needsVaultKey() throws(TandemError) -> Bool {
        guard try joinedSealing() == AESGCMSealer.name, sessionKey.value == nil else { return false }
        return try rememberedKey() == nil
    }

    /// Checks `credential` against the vault and keeps the key for this
    /// process; with `remember`, also in the store, so later commands need
    /// no passphrase.
    public func unlock(_ credential: VaultCredential, remember: Bool) throws(TandemError) {
        let unlocked = try vault(credential: credential)
        guard let key = unlocked.key else { throw .vaultNotEncrypted(path: unlocked.root.path) }
        if remember {
            try writeTransaction { db in try StoreMeta.set(db, .vaultKey, Digest.hex(key.bytes)) }
        }
    }

    /// Forgets the remembered key and the one unlocked in this process. The
    /// row is deleted with SQLite's secure delete and the write-ahead log is
    /// truncated, so the key's bytes do not linger in the file.
    /// Returns whether a key was remembered.
    @discardableResult
    public func lock() throws(TandemError) -> Bool {
        try requireWritable()
        sessionKey.value = nil
        do {
            let removed = try pool.writeWithoutTransaction { db -> Bool in
                try db.execute(sql: "PRAGMA secure_delete = ON")
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [StoreMeta.vaultKey.rawValue])
                let removed = db.changesCount > 0
                try db.execute(sql: "PRAGMA secure_delete = OFF")
                return removed
            }
            try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            return removed
        } catch {
            throw storeError(error)
        }
    }

    /// True when the vault key is remembered in this store.
    public func remembersVaultKey() throws(TandemError) -> Bool {
        try rememberedKey() != nil
    }

    /// The sealing method of the vault when this device joined it (stores
    /// made before encryption existed joined plain vaults).
    func joinedSealing() throws(TandemError) -> String {
        try read { db in try StoreMeta.get(db, .vaultSealing) } ?? PlainSealer.name
    }

    private func rememberedKey() throws(TandemError) -> VaultKey? {
        guard let hex = try read({ db in try StoreMeta.get(db, .vaultKey) }) else { return nil }
        guard let bytes = Digest.bytes(fromHex: hex), let key = VaultKey(bytes: bytes) else {
            throw .storeCorrupt(path: path, reason: "the remembered vault key is not 32 bytes of hex")
        }
        return key
    }

    /// Creates an empty file readable only by its owner, so the database (and
    /// its -wal and -shm files, which SQLite gives the same mode) is private
    /// whatever the umask.
    static func createPrivately(_ path: String) throws(TandemError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        _ = Glibc.close(fd)
    }
}

/// The key unlocked in this process, shared by every user of one store.
final class SessionKey: @unchecked Sendable {
    private let lock = NSLock()
    private var key: VaultKey?

    var value: VaultKey? {
        get { lock.withLock { key } }
        set { lock.withLock { key = newValue } }
    }
}
