import Foundation
import TandemCore

/// One simulated device: a real store on the shared vault, reaching it
/// through its own link so that it can be taken offline alone.
public final class SimulatedDevice: @unchecked Sendable {
    public let name: String
    public let store: DeviceStore
    /// The path this device knows its vault by: a symbolic link to the vault.
    public let vaultLink: URL
    private let vaultRoot: URL

    init(name: String, folder: URL, vault: Vault, descriptor: VaultDescriptor, clock: any WallClock) throws {
        self.name = name
        self.vaultRoot = vault.root
        let links = folder.appendingPathComponent("links", isDirectory: true)
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        vaultLink = links.appendingPathComponent(name)
        try FileManager.default.createSymbolicLink(at: vaultLink, withDestinationURL: vault.root)
        let storeFolder = folder.appendingPathComponent("devices/\(name)", isDirectory: true)
        try FileManager.default.createDirectory(at: storeFolder, withIntermediateDirectories: true)
        store = try DeviceStore.create(at: storeFolder.appendingPathComponent("store.sqlite").path, name: name,
                                       vault: Vault(root: vaultLink), descriptor: descriptor, clock: clock)
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
