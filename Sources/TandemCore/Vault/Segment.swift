/// One change in a device's log (a segment or a checkpoint): an entry's new version.
public struct LoggedChange: Sendable, Equatable {
    public var context: String
    public var key: String
    public var version: EntryVersion

    public init(context: String, key: String, version: EntryVersion) {
        self.context = context
        self.key = key
        self.version = version
    }
}

/// An immutable batch of changes pushed by one device, chained to that
/// device's previous segment by its hash.
public struct Segment: Sendable, Equatable {
    public var device: DeviceID
    public var seq: UInt64
    /// The seq of the segment this one follows: `seq - 1`, or less when the
    /// device skipped a file in its log that was not its own (format 2).
    public var previousSeq: UInt64
    /// SHA-256 of the segment file at `previousSeq` (zeros for the first).
    public var previousHash: [UInt8]
    public var created: HLCTimestamp
    /// The installation of the device that wrote it, 16 hex digits; empty in
    /// format 1. A store copied to another place gets a new one, so a
    /// device tells its own past writes from a copy's.
    public var installation: String
    /// True when this segment begins a restatement: the latest version of
    /// every entry its device wrote, republished after the vault lost part
    /// of its log. A reader takes it wherever its cursor stands.
    public var restates: Bool
    public var changes: [LoggedChange]

    public static let noPreviousHash = [UInt8](repeating: 0, count: 32)

    public init(device: DeviceID, seq: UInt64, previousSeq: UInt64? = nil, previousHash: [UInt8], created: HLCTimestamp,
                installation: String = "", restates: Bool = false, changes: [LoggedChange]) {
        self.device = device
        self.seq = seq
        self.previousSeq = previousSeq ?? seq - 1
        self.previousHash = previousHash
        self.created = created
        self.installation = installation
        self.restates = restates
        self.changes = changes
    }

    /// True when this segment continues a reader's position at `cursor`.
    public func follows(_ cursor: Cursor) -> Bool {
        restates || (previousSeq == cursor.seq && previousHash == cursor.hash)
    }
}

/// Encodes segments to the bytes of a `.seg` file and back (format 2, and
/// format 1 for reading; the VaultFormat article gives the grammar).
public struct SegmentCodec: Sendable {
    public let sealer: any Sealer

    public init(sealer: any Sealer = PlainSealer()) {
        self.sealer = sealer
    }

    private static let putKind: UInt8 = 1
    private static let deleteKind: UInt8 = 2
    /// Bit 0 of a format-2 segment's flags: it begins a restatement.
    private static let restatesFlag: UInt8 = 1

    /// Binds a segment's bytes to its device and seq, so a file renamed or
    /// copied to another place fails to open.
    static func associatedData(device: DeviceID, seq: UInt64, header: [UInt8]) -> [UInt8] {
        var writer = BinaryWriter()
        writer.raw(header)
        writer.string("tandem-segment")
        writer.string(device.rawValue)
        writer.uint64(seq)
        return writer.bytes
    }

    private func header(format: Int) -> [UInt8] {
        VaultFormat.segmentMagic + [UInt8(format), sealer.kind]
    }

    /// Why a segment cannot be written in the format asked for.
    public struct EncodeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The bytes of `segment` in `format` (the current one unless a test
    /// asks for format 1, which cannot hold an installation, a restatement
    /// or a skipped seq).
    public func encode(_ segment: Segment, format: Int = VaultFormat.fileVersion) throws -> [UInt8] {
        if format < 2, !segment.installation.isEmpty || segment.restates || segment.previousSeq != segment.seq - 1 {
            throw EncodeError(description: "format 1 holds no installation, restatement or skipped seq")
        }
        var body = BinaryWriter(capacity: 96 + segment.changes.count * 128)
        body.string(segment.device.rawValue)
        body.uint64(segment.seq)
        if format >= 2 { body.uint64(segment.previousSeq) }
        body.raw(segment.previousHash)
        body.uint64(UInt64(bitPattern: segment.created.wallMillis))
        body.uint32(segment.created.counter)
        if format >= 2 {
            body.string(segment.installation)
            body.byte(segment.restates ? Self.restatesFlag : 0)
        }
        Self.writeChanges(segment.changes, into: &body)
        let header = header(format: format)
        let sealed = try sealer.seal(body.bytes, associatedData: Self.associatedData(device: segment.device, seq: segment.seq, header: header))
        return header + sealed
    }

    /// Writes `changes` as a count and each change (the grammar's `change`),
    /// the part of a body that segments and checkpoints share. With a
    /// `table`, each device id is written as its index there (checkpoints:
    /// a version vector of twenty devices would otherwise take more bytes
    /// than a typical value).
    static func writeChanges(_ changes: [LoggedChange], into body: inout BinaryWriter, table: [DeviceID: Int]? = nil) {
        func device(_ id: DeviceID) {
            if let table, let index = table[id] { body.varint(UInt64(index)) } else { body.string(id.rawValue) }
        }
        body.varint(UInt64(changes.count))
        for change in changes {
            let version = change.version
            body.byte(version.isDeletion ? Self.deleteKind : Self.putKind)
            body.string(change.context)
            body.string(change.key)
            body.varint(UInt64(version.schema))
            body.uint64(UInt64(bitPattern: version.timestamp.wallMillis))
            body.uint32(version.timestamp.counter)
            device(version.origin)
            let counters = version.vector.sorted
            body.varint(UInt64(counters.count))
            for (member, counter) in counters {
                device(member)
                body.varint(counter)
            }
            if let value = version.value { body.string(value) }
        }
    }

    /// Why a segment's bytes were refused.
    public struct DecodeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Decodes a segment expected to be `device`'s number `seq`; anything else
    /// (another device's segment, damaged bytes, a newer format) throws.
    public func decode(_ bytes: [UInt8], device: DeviceID, seq: UInt64) throws(DecodeError) -> Segment {
        guard bytes.count >= 6 else { throw DecodeError(description: "file is only \(bytes.count) bytes long") }
        guard Array(bytes[0..<4]) == VaultFormat.segmentMagic else { throw DecodeError(description: "not a segment file (bad magic bytes)") }
        let format = Int(bytes[4])
        guard format <= VaultFormat.fileVersion else {
            throw DecodeError(description: "segment format \(format) is newer than this tandem understands (format \(VaultFormat.fileVersion)); upgrade tandem")
        }
        guard format >= 1 else { throw DecodeError(description: "unknown segment format \(format)") }
        guard bytes[5] == sealer.kind else {
            throw DecodeError(description: "sealed with method \(bytes[5]), but this vault uses method \(sealer.kind)")
        }
        let body: [UInt8]
        do {
            body = try sealer.open(bytes[6...], associatedData: Self.associatedData(device: device, seq: seq, header: Array(bytes[0..<6])))
        } catch {
            throw DecodeError(description: "cannot open: \(error)")
        }
        do {
            return try decodeBody(body, device: device, seq: seq, format: format)
        } catch {
            throw DecodeError(description: error.description)
        }
    }

    private func decodeBody(_ body: [UInt8], device: DeviceID, seq: UInt64, format: Int) throws(BinaryReader.Failure) -> Segment {
        var reader = BinaryReader(body)
        let writer = try reader.string("device id", max: 64)
        guard writer == device.rawValue else {
            throw .init(description: "written by device \(Escaped.text(writer)), found in the log of device \(device)")
        }
        let storedSeq = try reader.uint64("seq")
        guard storedSeq == seq else { throw .init(description: "holds seq \(storedSeq), but its name says \(seq)") }
        let previousSeq = format >= 2 ? try reader.uint64("previous seq") : seq - 1
        guard previousSeq < seq else { throw .init(description: "follows seq \(previousSeq), which is not before its own") }
        let previous = Array(try reader.raw(32, "previous hash"))
        let created = HLCTimestamp(wallMillis: Int64(bitPattern: try reader.uint64("created")), counter: try reader.uint32("created"))
        var installation = ""
        var restates = false
        if format >= 2 {
            installation = try reader.string("installation", max: 64)
            let flags = try reader.byte("flags")
            guard flags & ~Self.restatesFlag == 0 else { throw .init(description: "has unknown flags \(flags)") }
            restates = flags & Self.restatesFlag != 0
        }
        let changes = try Self.readChanges(&reader, limit: body.count)
        guard reader.isAtEnd else { throw .init(description: "unexpected bytes after the last change") }
        return Segment(device: device, seq: seq, previousSeq: previousSeq, previousHash: previous, created: created,
                       installation: installation, restates: restates, changes: changes)
    }

    /// Reads what `writeChanges` wrote, checking every field.
    static func readChanges(_ reader: inout BinaryReader, limit: Int, table: [DeviceID]? = nil) throws(BinaryReader.Failure) -> [LoggedChange] {
        let count = try reader.varint("change count")
        guard count <= UInt64(limit) else { throw .init(description: "change count \(count) exceeds the segment's size") }
        var changes: [LoggedChange] = []
        changes.reserveCapacity(Int(count))
        var known = KnownDevices()
        func device(_ index: Int) throws(BinaryReader.Failure) -> DeviceID {
            guard let table else { return try known.read(&reader, index) }
            let position = try reader.varint("device index")
            guard position < UInt64(table.count) else { throw .init(description: "change \(index + 1) names device \(position) of a table of \(table.count)") }
            return table[Int(position)]
        }
        for index in 0..<Int(count) {
            let kind = try reader.byte("change kind")
            guard kind == Self.putKind || kind == Self.deleteKind else {
                throw .init(description: "change \(index + 1) has unknown kind \(kind)")
            }
            let context = try reader.string("context", max: 64)
            guard Validation.isValidName(context) else { throw .init(description: "change \(index + 1) has an invalid context name") }
            let key = try reader.string("key", max: 512)
            guard (try? Validation.key(key)) != nil else { throw .init(description: "change \(index + 1) has an invalid key") }
            let schema = try reader.varint("schema")
            guard schema >= 1, schema <= UInt64(Int32.max) else { throw .init(description: "change \(index + 1) has an invalid schema version") }
            let timestamp = HLCTimestamp(wallMillis: Int64(bitPattern: try reader.uint64("timestamp")), counter: try reader.uint32("timestamp"))
            let origin = try device(index)
            let vectorCount = try reader.varint("version vector size")
            guard vectorCount <= 1 << 16 else { throw .init(description: "change \(index + 1) has an oversized version vector") }
            var counters: [(DeviceID, UInt64)] = []
            counters.reserveCapacity(Int(vectorCount))
            for _ in 0..<vectorCount {
                let member = try device(index)
                counters.append((member, try reader.varint("counter")))
            }
            let vector = VersionVector(pairs: counters)
            guard vector[origin] > 0 else { throw .init(description: "change \(index + 1) has a version vector without its origin") }
            let value = kind == Self.putKind ? try reader.string("value") : nil
            changes.append(LoggedChange(context: context, key: key, version: EntryVersion(value: value, vector: vector, timestamp: timestamp, origin: origin, schema: Int(schema))))
        }
        return changes
    }

    /// The few device ids of a segment, decoded once each: every change
    /// repeats them, and each fresh copy of a 16-byte string is an allocation.
    private struct KnownDevices {
        private var seen: [(bytes: ArraySlice<UInt8>, id: DeviceID)] = []

        mutating func read(_ reader: inout BinaryReader, _ index: Int) throws(BinaryReader.Failure) -> DeviceID {
            let count = try reader.length("device id", max: 64)
            let bytes = try reader.raw(count, "device id")
            if let hit = seen.first(where: { $0.bytes.elementsEqual(bytes) }) { return hit.id }
            guard let text = String(validating: bytes, as: UTF8.self), let id = DeviceID(validating: text) else {
                throw .init(description: "change \(index + 1) names an invalid device id")
            }
            seen.append((bytes, id))
            return id
        }
    }
}
