#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import GRDB

/// The store's side of the vault key: the sealing the device joined with,
/// and the key when the person asked to remember it here (``Device`` holds
/// the one unlocked in this process).
extension DeviceStore {
    /// Remembers the vault key in the store, so later processes need no passphrase.
    func rememberKey(_ key: VaultKey) throws(TandemError) {
        try writeTransaction { db in try StoreMeta.set(db, .vaultKey, Digest.hex(key.bytes)) }
    }

    /// Deletes the remembered key with SQLite's secure delete and truncates
    /// the write-ahead log, so the key's bytes do not linger in the file.
    /// Returns whether a key was remembered.
    func forgetRememberedKey() throws(TandemError) -> Bool {
        try requireWritable()
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

    /// The sealing method of the vault when this device joined it (stores
    /// made before encryption existed joined plain vaults).
    func joinedSealing() throws(TandemError) -> String {
        try read { db in try StoreMeta.get(db, .vaultSealing) } ?? PlainSealer.name
    }

    func rememberedKey() throws(TandemError) -> VaultKey? {
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
