import Foundation
import TandemCore

/// One simulated device: a real store on the shared vault, reaching it
/// through its own link so that it can be taken offline alone.
public final class SimulatedDevice: @unchecked Sendable {
    public let name: String
    public private(set) var store: DeviceStore
    /// The path this device knows its vault by: a symbolic link to the vault.
    public let vaultLink: URL
    private let vaultRoot: URL
    private let storePath: String
    private let descriptor: VaultDescriptor
    private let clock: any WallClock

    /// Ids come from the scenario's seed, so that a seed replays exactly
    /// (ids break ties between concurrent versions).
    /// `root` is the folder it reaches the vault by: the vault itself, or a replica of it.
    init(name: String, id: DeviceID, folder: URL, vault: Vault, descriptor: VaultDescriptor, clock: any WallClock, reaching root: URL? = nil) throws {
        self.name = name
        self.vaultRoot = root ?? vault.root
        let links = folder.appendingPathComponent("links", isDirectory: true)
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        vaultLink = links.appendingPathComponent(name)
        try FileManager.default.createSymbolicLink(at: vaultLink, withDestinationURL: vaultRoot)
        let storeFolder = folder.appendingPathComponent("devices/\(name)", isDirectory: true)
        try FileManager.default.createDirectory(at: storeFolder, withIntermediateDirectories: true)
        storePath = storeFolder.appendingPathComponent("store.sqlite").path
        self.descriptor = descriptor
        self.clock = clock
        store = try DeviceStore.create(at: storePath, name: name, id: id, vault: Vault(root: vaultLink), descriptor: descriptor, clock: clock)
    }

    /// Wipes the store and installs the device again: a new device id that
    /// names the one it replaces, nothing local, everything to restore.
    func reinstall(as id: DeviceID) throws {
        let old = try store.info().id
        try store.close()
        for suffix in ["", "-wal", "-shm", ".lock"] where FileManager.default.fileExists(atPath: storePath + suffix) {
            try FileManager.default.removeItem(atPath: storePath + suffix)
        }
        store = try DeviceStore.create(at: storePath, name: name, id: id, vault: Vault(root: vaultLink), descriptor: descriptor,
                                       replacing: old, clock: clock)
    }

    /// A device that opens a copy of `original`'s store files, as when a
    /// person copies a home to a second machine and keeps using both.
    init(cloning original: SimulatedDevice, name: String, folder: URL, reaching root: URL) throws {
        self.name = name
        self.vaultRoot = root
        let links = folder.appendingPathComponent("links", isDirectory: true)
        vaultLink = links.appendingPathComponent(name)
        try FileManager.default.createSymbolicLink(at: vaultLink, withDestinationURL: root)
        let storeFolder = folder.appendingPathComponent("devices/\(name)", isDirectory: true)
        try FileManager.default.createDirectory(at: storeFolder, withIntermediateDirectories: true)
        storePath = storeFolder.appendingPathComponent("store.sqlite").path
        descriptor = original.descriptor
        clock = original.clock
        try Self.copyStoreFiles(from: original.storePath, to: storePath)
        store = try DeviceStore.open(at: storePath, clock: clock)
        // The copy knows the vault by the path the original did; give it its own way there.
        try store.setVaultPath(vaultLink.path)
    }

    /// Copies the store's files as they are on disk, as `cp -a` of a home
    /// would while the app is idle: the database and its write-ahead log.
    func saveCopy(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.copyStoreFiles(from: storePath, to: folder.appendingPathComponent("store.sqlite").path)
    }

    /// Puts back a copy made by `saveCopy`, as restoring last week's backup
    /// of the device would, and opens it.
    func restoreCopy(from folder: URL) throws {
        try store.close()
        try Self.copyStoreFiles(from: folder.appendingPathComponent("store.sqlite").path, to: storePath)
        store = try DeviceStore.open(at: storePath, clock: clock)
    }

    private static func copyStoreFiles(from source: String, to target: String) throws {
        let manager = FileManager.default
        for suffix in ["", "-wal", "-shm"] {
            if manager.fileExists(atPath: target + suffix) { try manager.removeItem(atPath: target + suffix) }
            if suffix != "-shm", manager.fileExists(atPath: source + suffix) { try manager.copyItem(atPath: source + suffix, toPath: target + suffix) }
        }
    }

    /// Closes the device's store; the scenario is over.
    func close() {
        try? store.close()
    }

    public var isOnline: Bool {
        FileManager.default.fileExists(atPath: vaultLink.path)
    }

    /// Cuts or restores this device's way to the vault.
    public func setOnline(_ online: Bool) throws {
        guard online != isOnline else { return }
        if online {
            try FileManager.default.createSymbolicLink(at: vaultLink, withDestinationURL: vaultRoot)
        } else {
            try FileManager.default.removeItem(at: vaultLink)
        }
    }
}
