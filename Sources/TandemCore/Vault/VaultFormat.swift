import Foundation

/// Constants of the vault's on-disk format (see the VaultFormat article).
public enum VaultFormat {
    /// The vault format this build knows: it reads this one and every
    /// earlier one, and makes new vaults in it. Format 3 added checkpoints;
    /// format 4, checkpoints that leave out tombstones every device has;
    /// format 5, a key file per passphrase instead of a wrapping in `vault.json`.
    public static let version = 5
    /// The format of the segments, device records and other files this
    /// build writes: checkpoints changed none of them, so a format-2 vault
    /// that was not upgraded keeps holding only what format-2 builds read.
    public static let fileVersion = 2
    /// The first vault format whose logs may hold checkpoints.
    public static let checkpointsSince = 3
    /// The first vault format whose checkpoints may leave out tombstones
    /// (VaultFormat, "Collected tombstones"): a reader must know to read a
    /// log again when one left out a deletion it never saw.
    public static let collectedTombstonesSince = 4
    /// The first vault format whose passphrases wrap the key in files of
    /// their own (`keys/`), so that `vault.json` is never rewritten.
    public static let keyFilesSince = 5
    /// Magic bytes that open every segment file.
    static let segmentMagic: [UInt8] = Array("TDSG".utf8)
    /// Digits of a segment's zero-padded sequence number in its file name.
    static let seqDigits = 12

    static func segmentName(_ seq: UInt64) -> String {
        padded(seq) + ".seg"
    }

    /// `<seq>-<part>.ckp`: part `part` (from 1) of the checkpoint that covers the log up to `seq`.
    static func checkpointName(_ seq: UInt64, part: Int) -> String {
        let digits = String(part)
        return padded(seq) + "-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + ".ckp"
    }

    /// The seq of a segment's file name; nil for any other name.
    static func segmentSeq(_ name: String) -> UInt64? {
        guard name.hasSuffix(".seg"), name.utf8.count == seqDigits + 4 else { return nil }
        return UInt64(name.dropLast(4))
    }

    /// The seq and part of a checkpoint's file name; nil for any other name.
    static func checkpointPosition(_ name: String) -> (seq: UInt64, part: Int)? {
        guard name.hasSuffix(".ckp"), name.utf8.count >= seqDigits + 9 else { return nil }
        let stem = name.dropLast(4)
        let seqText = stem.prefix(seqDigits)
        let rest = stem.dropFirst(seqDigits)
        guard rest.first == "-", let seq = UInt64(seqText), seqText.allSatisfy(\.isASCII), let part = Int(rest.dropFirst()), part >= 1,
              rest.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return (seq, part)
    }

    private static func padded(_ seq: UInt64) -> String {
        let digits = String(seq)
        return String(repeating: "0", count: max(0, seqDigits - digits.count)) + digits
    }
}

/// The public parameters of a vault, stored in `vault.json`.
public struct VaultDescriptor: Codable, Sendable, Equatable {
    public var format: Int
    /// Random identifier of this vault; device stores remember it.
    public var id: String
    /// The person whose data this is; a backup restores only for its owner.
    public var owner: String
    /// When the vault was created, ISO 8601.
    public var created: String
    /// How files are sealed: `plain` (integrity only) or `aes-256-gcm`.
    public var sealing: String
    /// The wrapped key and its parameters, for an encrypted vault of format
    /// 4 or before; from format 5 they are in key files (`KeyFile`).
    public var encryption: VaultEncryption?
    /// `VaultKey.check(vaultID:owner:)`, base64, for an encrypted vault of
    /// format 5: any key, however obtained, is checked against it.
    public var keyCheck: String?
    /// SHA-256 of the other fields (hex), so that an accidental change of one
    /// byte is reported as damage rather than as a wrong passphrase.
    public var checksum: String?

    public init(format: Int = VaultFormat.version, id: String, owner: String, created: String, sealing: String = PlainSealer.name,
                encryption: VaultEncryption? = nil) {
        self.format = format
        self.id = id
        self.owner = owner
        self.created = created
        self.sealing = sealing
        self.encryption = encryption
    }

    /// The checksum of a `vault.json`'s JSON: SHA-256 of every member but
    /// `checksum`, keys sorted, as JSONSerialization writes them. It covers
    /// members this build does not know, so a later build may add some.
    static func checksum(ofJSON data: Data) -> String? {
        guard var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        object["checksum"] = nil
        guard let canonical = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return nil }
        return Digest.hex(Digest.sha256(Array(canonical)))
    }

    /// This descriptor with its checksum filled in, as written to `vault.json`.
    var sealedWithChecksum: VaultDescriptor {
        var copy = self
        copy.checksum = nil
        copy.checksum = (try? JSONEncoder().encode(copy)).flatMap(Self.checksum(ofJSON:))
        return copy
    }

    /// True for a vault whose files are encrypted.
    public var isEncrypted: Bool { sealing == AESGCMSealer.name }

    /// True when `key` is this vault's key.
    func accepts(_ key: VaultKey) -> Bool {
        guard let check = keyCheck ?? encryption?.keyCheck else { return false }
        return Data(key.check(vaultID: id, owner: owner)) == Data(base64Encoded: check)
    }
}

/// What a device publishes about itself in `devices/<id>.json`; only that
/// device writes the file.
public struct DeviceRecord: Codable, Sendable, Equatable {
    public var format: Int
    public var id: DeviceID
    public var name: String
    public var created: String
    /// Wall time of its last sync that reached the vault, milliseconds since 1970.
    public var lastSyncMillis: Int64?
    /// The last segment it pushed.
    public var pushedSeq: UInt64
    /// For each device, the last of its segments this device has applied.
    public var applied: [String: UInt64]
    /// The earlier installation of this device that this one replaced (the app
    /// was reinstalled); absent otherwise. Its log stays readable in the vault.
    public var replaces: DeviceID?
    /// The device whose store this one's was copied from (a cloned home);
    /// unlike `replaces`, that device may well live on.
    public var copiedFrom: DeviceID?
    /// The installation that wrote the record (see `Segment.installation`).
    public var installation: String?
    /// For each device whose log has a hole here, the missing seq this device
    /// waits at: that device republishes what it wrote (a restatement).
    public var waiting: [String: UInt64]?
    /// For each device in `applied`, the hash (hex) of the last of its
    /// segments this device applied: a device whose own segment at that seq
    /// has another hash was rewound (its store and the vault restored from
    /// an older copy) and wrote new history over it.
    public var appliedHashes: [String: String]?
    /// The seq its latest checkpoint covers, once it has placed one: a
    /// reader whose copy of the vault lacks the segments up to there waits
    /// for the checkpoint instead of asking for a restatement.
    public var checkpoint: UInt64?
    /// The devices this one retired: a device it replaced, once it had
    /// restored, or one a person retired here. No device waits for them,
    /// this device folds their logs into its own and then removes them, and
    /// a retired device that syncs again is refused.
    public var retired: [RetiredDevice]?
    /// For each device, the last of its segments this device had applied
    /// when it placed its latest checkpoint whose covered files it has
    /// removed: its log in the vault carries no version that those
    /// segments supersede. A tombstone is collected only once every live
    /// device's says it had it (format 4).
    public var folded: [String: UInt64]?
    /// Devices whose versions this device republished in its log because
    /// the vault had lost part of their logs (format 4): its log may carry
    /// their versions as well as its own.
    public var relayed: [String]?
    /// For each device, the last of its segments this device had applied
    /// at its latest sync that ended with nothing waiting to be pushed and
    /// no deletion waiting for a decision (format 4): every write it makes
    /// later has seen the deletions up to there.
    public var settled: [String: UInt64]?

    public init(id: DeviceID, name: String, created: String, lastSyncMillis: Int64? = nil, pushedSeq: UInt64 = 0, applied: [String: UInt64] = [:],
                replaces: DeviceID? = nil, copiedFrom: DeviceID? = nil, installation: String? = nil, waiting: [String: UInt64]? = nil,
                appliedHashes: [String: String]? = nil, checkpoint: UInt64? = nil, retired: [RetiredDevice]? = nil,
                folded: [String: UInt64]? = nil, relayed: [String]? = nil, settled: [String: UInt64]? = nil) {
        self.settled = settled
        self.checkpoint = checkpoint
        self.folded = folded
        self.relayed = relayed
        self.retired = retired
        self.format = VaultFormat.fileVersion
        self.id = id
        self.name = name
        self.created = created
        self.lastSyncMillis = lastSyncMillis
        self.pushedSeq = pushedSeq
        self.applied = applied
        self.replaces = replaces
        self.copiedFrom = copiedFrom
        self.installation = installation
        self.waiting = waiting
        self.appliedHashes = appliedHashes
    }
}

/// A device another device retired (see `DeviceRecord.retired`).
public struct RetiredDevice: Codable, Sendable, Equatable {
    public var id: DeviceID
    /// Its name when it was retired: its record goes with its log.
    public var name: String
    /// When it was retired, milliseconds since 1970.
    public var atMillis: Int64

    public init(id: DeviceID, name: String, atMillis: Int64) {
        self.id = id
        self.name = name
        self.atMillis = atMillis
    }
}
