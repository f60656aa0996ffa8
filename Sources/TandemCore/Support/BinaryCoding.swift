/// Appends the primitive fields of Tandem's binary formats.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func raw<S: Sequence>(_ data: S) where S.Element == UInt8 { bytes.append(contentsOf: data) }

    mutating func uint32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func uint64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Unsigned LEB128.
    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A varint length followed by the UTF-8 bytes.
    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}

/// Reads what ``BinaryWriter`` wrote; every read checks the bounds and throws
/// a message naming the offset instead of trapping.
struct BinaryReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { offset >= end }

    private func need(_ count: Int, _ what: String) throws(Failure) {
        guard count >= 0, end - offset >= count else {
            throw Failure(description: "truncated \(what) at byte \(offset)")
        }
    }

    mutating func byte(_ what: String) throws(Failure) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func raw(_ count: Int, _ what: String) throws(Failure) -> ArraySlice<UInt8> {
        try need(count, what)
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func uint32(_ what: String) throws(Failure) -> UInt32 {
        try need(4, what)
        var value: UInt32 = 0
        for index in 0..<4 { value = value << 8 | UInt32(bytes[offset + index]) }
        offset += 4
        return value
    }

    mutating func uint64(_ what: String) throws(Failure) -> UInt64 {
        try need(8, what)
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += 8
        return value
    }

    mutating func varint(_ what: String) throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte(what)
            guard shift < 64 else { throw Failure(description: "oversized \(what) at byte \(offset)") }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func length(_ what: String, max limit: Int) throws(Failure) -> Int {
        let value = try varint(what)
        guard value <= UInt64(limit) else { throw Failure(description: "\(what) of \(value) bytes is too long at byte \(offset)") }
        return Int(value)
    }

    mutating func string(_ what: String, max limit: Int = 1 << 24) throws(Failure) -> String {
        let count = try length(what, max: limit)
        let slice = try raw(count, what)
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw Failure(description: "\(what) is not UTF-8 at byte \(offset - count)")
        }
        return text
    }
}
