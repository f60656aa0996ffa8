import Foundation

/// The folder on this machine that holds device stores: one subfolder per
/// device name, and a note of the device used last.
///
/// ```
/// HOME/devices/laptop/store.sqlite
/// HOME/current            name of the device used last
/// ```
public struct DeviceHome: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// `$TANDEM_HOME`, else `$XDG_DATA_HOME/tandem`, else `~/.local/share/tandem`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let home = environment["TANDEM_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return URL(fileURLWithPath: data).appendingPathComponent("tandem")
        }
        let user = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: user).appendingPathComponent(".local/share/tandem")
    }

    var devicesURL: URL { root.appendingPathComponent("devices", isDirectory: true) }
    var currentURL: URL { root.appendingPathComponent("current") }

    public func storePath(for name: String) -> String {
        devicesURL.appendingPathComponent(name, isDirectory: true).appendingPathComponent("store.sqlite").path
    }

    /// Names of the devices that have a store here, sorted.
    public func deviceNames() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: devicesURL.path) else { return [] }
        return names.filter { Validation.isValidName($0) && FileManager.default.fileExists(atPath: storePath(for: $0)) }.sorted()
    }

    /// Creates a device of the vault at `vaultPath`: its store here, and its
    /// record in the vault. It becomes the device used last unless
    /// `makeCurrent` is false.
    ///
    /// An encrypted vault needs `credential` (the passphrase, the recovery
    /// phrase or the key); with `remember` the key is kept in the new store.
    /// With `owner`, a vault that belongs to someone else is refused.
    ///
    /// A name another live device of the vault has is refused
    /// (`deviceNameTaken`), unless the new device replaces it: `replaces`
    /// names that device (by name or id), as when an app is reinstalled on a
    /// machine that lost its store; the old device is retired once the new
    /// one has restored.
    @discardableResult
    public func createDevice(name: String, vaultPath: URL, credential: VaultCredential? = nil, remember: Bool = false, owner: String? = nil,
                             replacing: DeviceID? = nil, replaces: String? = nil, makeCurrent: Bool = true,
                             clock: any WallClock = SystemClock()) throws(TandemError) -> Device {
        guard Validation.isValidName(name) else { throw .invalidDeviceName(name) }
        let plain = Vault(root: vaultPath)
        let descriptor = try plain.readDescriptor()
        if let owner, owner != descriptor.owner {
            throw .ownerMismatch(path: plain.root.path, vaultOwner: descriptor.owner, requested: owner)
        }
        let path = storePath(for: name)
        if FileManager.default.fileExists(atPath: path) { throw .deviceExists(name: name) }
        if !descriptor.isEncrypted, plain.holdsSealedFiles() {
            throw .sealingChanged(path: plain.descriptorURL.path, expected: AESGCMSealer.name, found: descriptor.sealing)
        }
        let vault = try plain.unlocked(descriptor, with: credential)
        var replacing = replacing
        if let replaces {
            let records = vault.deviceRecords().records
            guard let old = records.first(where: { $0.id.rawValue == replaces })?.id ?? vault.liveDevice(named: replaces) else {
                throw .noDeviceToReplace(name: replaces, vault: vault.root.path)
            }
            replacing = old
        }
        if let holder = vault.liveDevice(named: name), holder != replacing {
            throw .deviceNameTaken(name: name, device: holder, vault: vault.root.path)
        }
        do {
            for folder in [root.path, devicesURL.path, (path as NSString).deletingLastPathComponent] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root.path)
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        do {
            let store = try DeviceStore.create(at: path, name: name, vault: vault, descriptor: descriptor, replacing: replacing, clock: clock)
            if remember, let key = vault.key { try store.rememberKey(key) }
            let info = try store.info()
            try vault.writeDeviceRecord(DeviceRecord(id: info.id, name: name, created: ISO8601DateFormatter().string(from: Date()), replaces: replacing))
            try store.log("created device \(name) (\(info.id)) on vault \(vault.root.path)")
            if makeCurrent { setCurrent(name) }
            return Device(store: store, key: vault.key)
        } catch {
            // A device the vault never heard of is no device: leave nothing behind.
            try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
            throw error
        }
    }

    /// Wipes the store of device `name` and makes a new installation of it on
    /// the same vault, as when the app is reinstalled: a new device id whose
    /// record names the one it replaces. Nothing of the old store is kept;
    /// the next sync restores everything from the vault. The caller closes
    /// its own handle on the old store first.
    ///
    /// Refused, with nothing changed, while the vault cannot be reached or
    /// the device has changes it has not pushed (they would be lost). The
    /// device's lock keeps another process from syncing it meanwhile; the old
    /// store is moved aside and deleted only once the new one exists.
    @discardableResult
    public func reinstallDevice(name: String, credential: VaultCredential? = nil,
                                clock: any WallClock = SystemClock()) async throws(TandemError) -> Device {
        let path = storePath(for: try resolveDevice(name))
        let lock = try await DeviceLock.acquire(path: path + ".lock")
        defer { withExtendedLifetime(lock) {} }
        let oldStore = try DeviceStore.open(at: path)
        let old = try oldStore.info()
        let vaultPath = URL(fileURLWithPath: old.vaultPath)
        let key: VaultKey?
        let remembered: Bool
        do throws(TandemError) {
            let unpushed = try oldStore.outboxCount()
            // The new installation keeps the key only if the old one remembered it.
            remembered = try oldStore.rememberedKey() != nil
            guard unpushed == 0 else { throw TandemError.unpushedChanges(device: name, count: unpushed) }
            guard Vault(root: vaultPath).isReachable else { throw TandemError.vaultUnreachable(path: old.vaultPath) }
            key = try Device(store: oldStore).vault(credential: credential).key
            try oldStore.close()
        } catch {
            try? oldStore.close()
            throw error
        }
        let folder = (path as NSString).deletingLastPathComponent
        let aside = folder + ".reinstalling"
        do {
            try? FileManager.default.removeItem(atPath: aside)
            try FileManager.default.moveItem(atPath: folder, toPath: aside)
        } catch {
            throw .io(path: folder, reason: error.localizedDescription)
        }
        do {
            // A reinstall in the background does not change which device commands act on.
            let device = try createDevice(name: name, vaultPath: vaultPath, credential: key.map(VaultCredential.key),
                                          remember: remembered, replacing: old.id, makeCurrent: false, clock: clock)
            try? FileManager.default.removeItem(atPath: aside)
            return device
        } catch {
            try? FileManager.default.moveItem(atPath: aside, toPath: folder)
            throw error
        }
    }

    /// The device a command acts on: the one named, else the only one, else the
    /// one used last.
    public func resolveDevice(_ name: String?) throws(TandemError) -> String {
        if let name {
            guard Validation.isValidName(name), FileManager.default.fileExists(atPath: storePath(for: name)) else {
                throw .noSuchDevice(name: name)
            }
            return name
        }
        let names = deviceNames()
        if names.count == 1 { return names[0] }
        guard !names.isEmpty else { throw .noDevice(home: root.path) }
        if let current = try? String(contentsOf: currentURL, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           names.contains(current) {
            return current
        }
        throw .ambiguousDevice(home: root.path, names: names)
    }

    /// Opens a device and remembers it as the one used last. For
    /// `.reading`, a store that cannot be written opens read-only.
    public func open(_ name: String?, for use: StoreUse = .writing, clock: any WallClock = SystemClock()) throws(TandemError) -> Device {
        let resolved = try resolveDevice(name)
        let store = try DeviceStore.open(at: storePath(for: resolved), for: use, clock: clock)
        setCurrent(resolved)
        return Device(store: store)
    }

    func setCurrent(_ name: String) {
        try? AtomicFile.write(Array((name + "\n").utf8), to: currentURL, replacing: true)
    }
}
