/// One change in a segment: an entry's new version.
public struct Change: Sendable, Equatable {
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
    /// SHA-256 of the previous segment file of the same device (zeros for seq 1).
    public var previousHash: [UInt8]
    public var created: HLCTimestamp
    public var changes: [Change]

    public static let noPreviousHash = [UInt8](repeating: 0, count: 32)

    public init(device: DeviceID, seq: UInt64, previousHash: [UInt8], created: HLCTimestamp, changes: [Change]) {
        self.device = device
        self.seq = seq
        self.previousHash = previousHash
        self.created = created
        self.changes = changes
    }
}

/// Encodes segments to the bytes of a `.seg` file and back (format 1; the
/// VaultFormat article gives the grammar).
public struct SegmentCodec: Sendable {
    public let sealer: any Sealer

    public init(sealer: any Sealer = PlainSealer()) {
        self.sealer = sealer
    }

    private static let putKind: UInt8 = 1
    private static let deleteKind: UInt8 = 2

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

    private func header() -> [UInt8] {
        VaultFormat.segmentMagic + [UInt8(VaultFormat.version), sealer.kind]
    }

    public func encode(_ segment: Segment) throws -> [UInt8] {
        var body = BinaryWriter(capacity: 64 + segment.changes.count * 128)
        body.string(segment.device.rawValue)
        body.uint64(segment.seq)
        body.raw(segment.previousHash)
        body.uint64(UInt64(bitPattern: segment.created.wallMillis))
        body.uint32(segment.created.counter)
        body.varint(UInt64(segment.changes.count))
        for change in segment.changes {
            let version = change.version
            body.byte(version.isDeletion ? Self.deleteKind : Self.putKind)
            body.string(change.context)
            body.string(change.key)
            body.varint(UInt64(version.schema))
            body.uint64(UInt64(bitPattern: version.timestamp.wallMillis))
            body.uint32(version.timestamp.counter)
            body.string(version.origin.rawValue)
            let counters = version.vector.sorted
            body.varint(UInt64(counters.count))
            for (device, counter) in counters {
                body.string(device.rawValue)
                body.varint(counter)
            }
            if let value = version.value { body.string(value) }
        }
        let header = header()
        let sealed = try sealer.seal(body.bytes, associatedData: Self.associatedData(device: segment.device, seq: segment.seq, header: header))
        return header + sealed
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
        guard format <= VaultFormat.version else {
            throw DecodeError(description: "segment format \(format) is newer than this tandem understands (format \(VaultFormat.version)); upgrade tandem")
        }
        guard format == VaultFormat.version else { throw DecodeError(description: "unknown segment format \(format)") }
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
            return try decodeBody(body, device: device, seq: seq)
        } catch {
            throw DecodeError(description: error.description)
        }
    }

    private func decodeBody(_ body: [UInt8], device: DeviceID, seq: UInt64) throws(BinaryReader.Failure) -> Segment {
        var reader = BinaryReader(body)
        let writer = try reader.string("device id", max: 64)
        guard writer == device.rawValue else {
            throw .init(description: "written by device \(Escaped.text(writer)), found in the log of device \(device)")
        }
        let storedSeq = try reader.uint64("seq")
        guard storedSeq == seq else { throw .init(description: "holds seq \(storedSeq), but its name says \(seq)") }
        let previous = Array(try reader.raw(32, "previous hash"))
        let created = HLCTimestamp(wallMillis: Int64(bitPattern: try reader.uint64("created")), counter: try reader.uint32("created"))
        let count = try reader.varint("change count")
        guard count <= UInt64(body.count) else { throw .init(description: "change count \(count) exceeds the segment's size") }
        var changes: [Change] = []
        changes.reserveCapacity(Int(count))
        var known = KnownDevices()
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
            let origin = try known.read(&reader, index)
            let vectorCount = try reader.varint("version vector size")
            guard vectorCount <= 1 << 16 else { throw .init(description: "change \(index + 1) has an oversized version vector") }
            var counters: [DeviceID: UInt64] = [:]
            for _ in 0..<vectorCount {
                let member = try known.read(&reader, index)
                counters[member] = try reader.varint("counter")
            }
            let vector = VersionVector(counters)
            guard vector[origin] > 0 else { throw .init(description: "change \(index + 1) has a version vector without its origin") }
            let value = kind == Self.putKind ? try reader.string("value") : nil
            changes.append(Change(context: context, key: key, version: EntryVersion(value: value, vector: vector, timestamp: timestamp, origin: origin, schema: Int(schema))))
        }
        guard reader.isAtEnd else { throw .init(description: "unexpected bytes after the last change") }
        return Segment(device: device, seq: seq, previousHash: previous, created: created, changes: changes)
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
