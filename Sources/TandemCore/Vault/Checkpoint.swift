/// A device's log folded up to one of its segments: the versions its
/// segments up to `seq` carried that nothing has superseded, so that a
/// reader whose cursor is before `seq` reads this instead of the segments it
/// covers (VaultFormat, "Checkpoints").
///
/// Applying it leaves a reader where reading every covered segment would
/// have: at cursor (`seq`, `segmentHash`), from which the next segment of
/// the log follows as usual. A version it leaves out is one that a version
/// still in the vault has seen, so a reader that already holds some of what
/// it covers loses and gains nothing by applying it again.
public struct Checkpoint: Sendable, Equatable {
    public var device: DeviceID
    /// The last seq of the device's log it covers.
    public var seq: UInt64
    /// SHA-256 of the segment file at `seq`: where a reader stands after it.
    public var segmentHash: [UInt8]
    public var created: HLCTimestamp
    /// The installation that wrote it (see `Segment.installation`).
    public var installation: String
    public var changes: [LoggedChange]

    public init(device: DeviceID, seq: UInt64, segmentHash: [UInt8], created: HLCTimestamp, installation: String, changes: [LoggedChange]) {
        self.device = device
        self.seq = seq
        self.segmentHash = segmentHash
        self.created = created
        self.installation = installation
        self.changes = changes
    }

    /// The cursor of a reader that has applied it.
    public var cursor: Cursor { Cursor(seq: seq, hash: segmentHash) }
}

/// One file of a checkpoint: a checkpoint holds at most as many changes
/// and value bytes per file as a segment does, so a reader never holds
/// more than one segment's worth in memory at once.
public struct CheckpointPart: Sendable, Equatable {
    public var device: DeviceID
    public var seq: UInt64
    public var segmentHash: [UInt8]
    public var created: HLCTimestamp
    public var installation: String
    /// This file's number, from 1.
    public var part: Int
    /// How many files the checkpoint has.
    public var parts: Int
    /// The seq of this log up to which tombstones may be left out (format-4
    /// files; nil in format-3 ones, which leave none out): a reader whose
    /// cursor was below it may have missed deletions, and reads everything
    /// again (VaultFormat, "Collected tombstones").
    public var tombstonesThrough: UInt64?
    public var changes: [LoggedChange]

    /// True when `other` is another part of the same checkpoint.
    func belongs(with other: CheckpointPart) -> Bool {
        device == other.device && seq == other.seq && segmentHash == other.segmentHash && created == other.created
            && installation == other.installation && parts == other.parts && tombstonesThrough == other.tombstonesThrough
    }
}

/// Encodes checkpoint files and back (VaultFormat, "Checkpoints").
public struct CheckpointCodec: Sendable {
    public let sealer: any Sealer

    public init(sealer: any Sealer = PlainSealer()) {
        self.sealer = sealer
    }

    static let magic: [UInt8] = Array("TDCK".utf8)
    /// The format of checkpoint files; they came with vault format 3, and
    /// format 4 added the seq up to which tombstones may be left out.
    static let version: UInt8 = 4
    /// Files of vaults not upgraded to format 4 stay readable by format-3 builds.
    static let versionWithoutCollection: UInt8 = 3

    static func associatedData(device: DeviceID, seq: UInt64, part: Int, header: [UInt8]) -> [UInt8] {
        var writer = BinaryWriter()
        writer.raw(header)
        writer.string("tandem-checkpoint")
        writer.string(device.rawValue)
        writer.uint64(seq)
        writer.uint32(UInt32(part))
        return writer.bytes
    }

    public func encode(_ part: CheckpointPart) throws -> [UInt8] {
        var body = BinaryWriter(capacity: 128 + part.changes.count * 128)
        body.string(part.device.rawValue)
        body.uint64(part.seq)
        body.raw(part.segmentHash)
        body.uint64(UInt64(bitPattern: part.created.wallMillis))
        body.uint32(part.created.counter)
        body.string(part.installation)
        body.varint(UInt64(part.part))
        body.varint(UInt64(part.parts))
        if let through = part.tombstonesThrough { body.varint(through) }
        // The part's devices once, in id order; each change names them by index.
        let devices = Set(part.changes.flatMap { [$0.version.origin] + $0.version.vector.entries.map(\.device) }).sorted()
        body.varint(UInt64(devices.count))
        for device in devices { body.string(device.rawValue) }
        SegmentCodec.writeChanges(part.changes, into: &body, table: Dictionary(uniqueKeysWithValues: devices.enumerated().map { ($1, $0) }))
        let header = Self.magic + [part.tombstonesThrough == nil ? Self.versionWithoutCollection : Self.version, sealer.kind]
        return header + (try sealer.seal(body.bytes, associatedData: Self.associatedData(device: part.device, seq: part.seq, part: part.part, header: header)))
    }

    /// Decodes the file expected to be part `part` of `device`'s checkpoint
    /// at `seq`; anything else throws.
    public func decode(_ bytes: [UInt8], device: DeviceID, seq: UInt64, part: Int) throws(SegmentCodec.DecodeError) -> CheckpointPart {
        guard bytes.count >= 6 else { throw .init(description: "file is only \(bytes.count) bytes long") }
        guard Array(bytes[0..<4]) == Self.magic else { throw .init(description: "not a checkpoint file (bad magic bytes)") }
        guard bytes[4] <= Self.version else {
            throw .init(description: "checkpoint format \(bytes[4]) is newer than this tandem understands (format \(Self.version)); upgrade tandem")
        }
        guard bytes[4] >= Self.versionWithoutCollection else { throw .init(description: "unknown checkpoint format \(bytes[4])") }
        let fileVersion = bytes[4]
        guard bytes[5] == sealer.kind else { throw .init(description: "sealed with method \(bytes[5]), but this vault uses method \(sealer.kind)") }
        let body: [UInt8]
        do {
            body = try sealer.open(bytes[6...], associatedData: Self.associatedData(device: device, seq: seq, part: part, header: Array(bytes[0..<6])))
        } catch {
            throw .init(description: "cannot open: \(error)")
        }
        do throws(BinaryReader.Failure) {
            var reader = BinaryReader(body)
            let writer = try reader.string("device id", max: 64)
            guard writer == device.rawValue else {
                throw .init(description: "written by device \(Escaped.text(writer)), found in the log of device \(device)")
            }
            let storedSeq = try reader.uint64("seq")
            guard storedSeq == seq else { throw .init(description: "covers seq \(storedSeq), but its name says \(seq)") }
            let hash = Array(try reader.raw(32, "segment hash"))
            let created = HLCTimestamp(wallMillis: Int64(bitPattern: try reader.uint64("created")), counter: try reader.uint32("created"))
            let installation = try reader.string("installation", max: 64)
            let storedPart = try reader.varint("part")
            let parts = try reader.varint("parts")
            guard storedPart == UInt64(part) else { throw .init(description: "is part \(storedPart), but its name says \(part)") }
            guard parts >= 1, storedPart <= parts, parts <= 1 << 20 else { throw .init(description: "claims to be part \(storedPart) of \(parts)") }
            let through = fileVersion >= Self.version ? try reader.varint("tombstones through") : nil
            if let through, through > seq { throw .init(description: "leaves out tombstones through seq \(through), past the seq it covers") }
            let count = try reader.varint("device table size")
            guard count <= 1 << 16 else { throw .init(description: "has a device table of \(count) devices") }
            var devices: [DeviceID] = []
            for _ in 0..<count {
                let text = try reader.string("device id", max: 64)
                guard let id = DeviceID(validating: text) else { throw .init(description: "its device table holds an invalid device id") }
                devices.append(id)
            }
            let changes = try SegmentCodec.readChanges(&reader, limit: body.count, table: devices)
            guard reader.isAtEnd else { throw .init(description: "unexpected bytes after the last change") }
            return CheckpointPart(device: device, seq: seq, segmentHash: hash, created: created, installation: installation,
                                  part: part, parts: Int(parts), tombstonesThrough: through, changes: changes)
        } catch {
            throw .init(description: error.description)
        }
    }
}
