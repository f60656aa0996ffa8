import Foundation
import GRDB

/// A device this device retired, and how far it has folded that device's
/// log into its own (VaultFormat, "Retired devices").
public struct Retirement: Codable, Sendable, Equatable {
    public var device: RetiredDevice
    /// The seq of the retired device's log up to which its versions were republished here.
    public var foldedSeq: UInt64 = 0
    /// When they were last republished; the log is removed a grace period after.
    public var foldedMillis: Int64?
    /// True once its log and record were removed from the vault.
    public var removed = false

    public init(device: RetiredDevice) {
        self.device = device
    }
}

extension DeviceStore {
    public func retirements() throws(TandemError) -> [Retirement] {
        try read { db in try Self.retirements(db) }
    }

    func saveRetirements(_ retirements: [Retirement]) throws(TandemError) {
        try writeTransaction { db in
            let text = String(decoding: try JSONEncoder().encode(retirements), as: UTF8.self)
            try StoreMeta.set(db, .retired, text)
        }
    }

    private static func retirements(_ db: Database) throws -> [Retirement] {
        guard let text = try StoreMeta.get(db, .retired) else { return [] }
        do {
            return try JSONDecoder().decode([Retirement].self, from: Data(text.utf8))
        } catch {
            throw StoreMeta.Damaged(key: .retired, value: text, expected: "the JSON of retired devices")
        }
    }
}
