import Foundation

/// A device opened on this machine: its store (SQLite, and nothing else), the
/// vault it belongs to with the key once known, the lock its syncs take, and
/// its snapshots. The CLI, the terminal UI, ``TandemDevice`` and the
/// ``Synchronizer`` talk to it; the store never touches the vault.
///
/// ```swift
/// let device = Device(store: try DeviceStore.open(at: path))
/// try device.unlock(.passphrase(passphrase), remember: false)
/// let report = try await Synchronizer(device: device).sync(policies: .all(.review))
/// ```
///
/// The vault key is held in memory once unlocked, and in the store only when
/// the person asked to remember it there.
///
/// A remembered key is as safe as the store file: mode 0600 in a 0700
/// folder, readable by the person's own account and root. The store already
/// holds every value in clear, so the key adds one power only: writing
/// segments the other devices will accept. `lock()` forgets it.
public final class Device: Sendable {
    public let store: DeviceStore
    /// The vault key once unlocked in this process; never written unless remembered.
    let sessionKey = SessionKey()

    /// `key` is a vault key already at hand (a device just created from an
    /// unlocked vault); else it comes from ``unlock(_:remember:)`` or the store.
    public init(store: DeviceStore, key: VaultKey? = nil) {
        self.store = store
        sessionKey.value = key
    }

    /// Snapshots of folders and databases in this device's vault.
    public var snapshots: SnapshotService { SnapshotService(self) }

    /// The lock a sync holds, so that two processes never push the same seq.
    func syncLock() async throws(TandemError) -> DeviceLock {
        try await DeviceLock.acquire(path: store.path + ".lock")
    }

    /// The vault of this device, able to open its files. Checks `vault.json`
    /// against what the device joined (id, owner, sealing method) and the key
    /// against the vault. The key comes from `credential`, else from an
    /// earlier unlock in this process, else from the store if remembered;
    /// without one an encrypted vault throws `vaultLocked`.
    public func vault(credential: VaultCredential? = nil) throws(TandemError) -> Vault {
        let info = try store.info()
        return try vault(credential: credential, info: info, plain: Vault(root: URL(fileURLWithPath: info.vaultPath)))
    }

    /// The same, from the identity and the plain vault a caller already read.
    func vault(credential: VaultCredential? = nil, info: DeviceInfo, plain: Vault) throws(TandemError) -> Vault {
        let descriptor = try plain.readDescriptor()
        guard descriptor.id == info.vaultID else {
            throw .wrongVault(path: plain.root.path, expected: info.vaultID, found: descriptor.id)
        }
        guard descriptor.owner == info.owner else {
            throw .ownerMismatch(path: plain.root.path, vaultOwner: descriptor.owner, requested: info.owner)
        }
        let joined = try store.joinedSealing()
        guard descriptor.sealing == joined else {
            throw .sealingChanged(path: plain.descriptorURL.path, expected: joined, found: descriptor.sealing)
        }
        guard descriptor.isEncrypted else { return plain }
        var chosen = credential ?? sessionKey.value.map(VaultCredential.key)
        if chosen == nil { chosen = try store.rememberedKey().map(VaultCredential.key) }
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
        guard (try? store.joinedSealing()) == PlainSealer.name, let info = try? store.info() else { return DeviceRecordListing() }
        return Vault(root: URL(fileURLWithPath: info.vaultPath)).deviceRecords()
    }

    /// True when syncing needs a key this device does not have yet: the vault
    /// is encrypted, and nothing was unlocked or remembered.
    public func needsVaultKey() throws(TandemError) -> Bool {
        guard try store.joinedSealing() == AESGCMSealer.name, sessionKey.value == nil else { return false }
        return try store.rememberedKey() == nil
    }

    /// Checks `credential` against the vault and keeps the key for this
    /// process; with `remember`, also in the store, so later commands need
    /// no passphrase.
    public func unlock(_ credential: VaultCredential, remember: Bool) throws(TandemError) {
        let unlocked = try vault(credential: credential)
        guard let key = unlocked.key else { throw .vaultNotEncrypted(path: unlocked.root.path) }
        if remember { try store.rememberKey(key) }
    }

    /// Forgets the remembered key and the one unlocked in this process. The
    /// row is deleted with SQLite's secure delete and the write-ahead log is
    /// truncated, so the key's bytes do not linger in the file.
    /// Returns whether a key was remembered.
    @discardableResult
    public func lock() throws(TandemError) -> Bool {
        sessionKey.value = nil
        return try store.forgetRememberedKey()
    }

    /// True when the vault key is remembered in this store.
    public func remembersVaultKey() throws(TandemError) -> Bool {
        try store.rememberedKey() != nil
    }

    /// Takes back the latest decision or resolution taken on this device,
    /// as long as nothing has changed the entry since: not a sync that
    /// published it (keep-mine and resolutions go out with the next sync)
    /// or pulled a newer version, not a write, not another decision. The
    /// entry's rows come back exactly as they were before it.
    ///
    /// A decision that can no longer be taken back is forgotten, and the
    /// error says why; the next call looks at the one before it.
    @discardableResult
    public func undoLastDecision() throws(TandemError) -> UndoneDecision {
        // A sync publishes in steps (the segment, then the record of it): undo
        // must not fall between them, nor after a sync killed between them.
        guard let lock = try DeviceLock.take(path: store.path + ".lock") else {
            throw .cannotUndo(reason: "a sync of this device is running; try again when it ends")
        }
        defer { withExtendedLifetime(lock) {} }
        let info = try store.info()
        let next = Vault(root: URL(fileURLWithPath: info.vaultPath)).segmentURL(device: info.id, seq: info.pushedSeq + 1)
        if FileManager.default.fileExists(atPath: next.path) {
            throw .cannotUndo(reason: "the last sync wrote this device's changes to the vault (\(next.path)) and did not finish; run tandem sync")
        }
        return try store.undoLatestAction()
    }
}
