/// Who a device store belongs to and where its vault is.
public struct DeviceInfo: Sendable, Equatable, Codable {
    public var id: DeviceID
    public var name: String
    /// Absolute path of the vault folder.
    public var vaultPath: String
    public var vaultID: String
    public var owner: String
    /// When the store was created, milliseconds since 1970 (the database's age).
    public var createdMillis: Int64
    /// The last segment this device pushed, and its hash.
    public var pushedSeq: UInt64
    public var pushedHash: [UInt8]
    /// Wall time of the last sync that reached the vault.
    public var lastSyncMillis: Int64?
    /// The earlier installation this one replaced (a reinstall), if any.
    public var replaces: DeviceID?
    /// The id of this copy of the store, written into its segments (empty
    /// until its first sync for a store made before installations existed).
    public var installation: String = ""
    /// The device whose store this one was copied from, once it found that
    /// copy and became a device of its own.
    public var copiedFrom: DeviceID?
    /// The seq its next push takes: `pushedSeq + 1`, or later when files
    /// that are not its segments hold the names between.
    public var nextSeq: UInt64 = 1
}

/// The policy a context applies to incoming changes (DESIGN §4).
public enum SyncPolicy: String, Sendable, Codable, CaseIterable {
    /// Changes wait for a person's decision.
    case review
    /// Incoming changes are applied; conflicts take the deterministic winner and stay listed.
    case accept
    /// The app's handlers decide (library only).
    case handlers
}
