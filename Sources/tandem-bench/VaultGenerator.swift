import Foundation
import TandemCore

/// Writes vaults of a given size straight through the segment codec, as if
/// devices had pushed them: the bench measures reading, not writing.
struct VaultGenerator {
    let root: URL
    let devices: [DeviceID]
    let vault: Vault
    let descriptor: VaultDescriptor
    private var heads: [DeviceID: (seq: UInt64, hash: [UInt8], counter: UInt64)] = [:]

    /// The passphrase of encrypted bench vaults.
    static let passphrase = "bench passphrase"

    /// With `encrypted`, the vault is sealed with AES-256-GCM, as `tandem init` makes it.
    init(root: URL, deviceCount: Int, encrypted: Bool = false) throws {
        self.root = root
        let created = try Vault.create(at: root, owner: "bench", protection: encrypted ? .passphrase(Self.passphrase) : .none)
        descriptor = created.descriptor
        let key = try created.recoveryPhrase.map { try RecoveryPhrase.key(from: $0.joined(separator: " ")) }
        vault = try Vault(root: root).unlocked(descriptor, with: key.map(VaultCredential.key))
        var generator = SystemRandomNumberGenerator()
        devices = (0..<deviceCount).map { _ in DeviceID.random(using: &generator) }
    }

    /// A value of about `bytes` bytes of JSON.
    static func value(_ index: Int, bytes: Int = 1024) -> String {
        let filler = String(repeating: "x", count: max(0, bytes - 60))
        return "{\"index\":\(index),\"name\":\"entry \(index)\",\"note\":\"\(filler)\"}"
    }

    /// Appends segments for `device`, each with `perSegment` changes, writing
    /// the keys `keys` of context `context`.
    mutating func push(device: DeviceID, context: String, keys: Range<Int>, perSegment: Int, version: Int = 0) throws {
        var head = heads[device] ?? (0, Segment.noPreviousHash, 0)
        var start = keys.lowerBound
        while start < keys.upperBound {
            let end = min(start + perSegment, keys.upperBound)
            var changes: [LoggedChange] = []
            changes.reserveCapacity(end - start)
            for index in start..<end {
                head.counter += 1
                let stamp = HLCTimestamp(wallMillis: 1_800_000_000_000 + Int64(head.counter))
                changes.append(LoggedChange(context: context, key: "key-\(index)", version: EntryVersion(
                    value: Self.value(index + version), vector: [device: head.counter], timestamp: stamp, origin: device)))
            }
            let segment = Segment(device: device, seq: head.seq + 1, previousHash: head.hash,
                                  created: HLCTimestamp(wallMillis: 1_800_000_000_000 + Int64(head.counter)), changes: changes)
            head.hash = try vault.writeSegment(segment)
            head.seq += 1
            start = end
        }
        heads[device] = head
    }
}
