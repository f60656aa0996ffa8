#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The byte layout of a pack (`packs/<2 hex>/<64 hex>`): sealed objects one
/// after another, then the pack's sealed table of contents, then the
/// table's length and a magic number.
///
/// Chunks go into packs, not a file each, because creating a file costs
/// more than sealing a small chunk: a first snapshot of 22,000 small files
/// spent most of its time allocating inodes (DesignNotes, "Chunks go into packs that carry their own table of contents").
/// Each pack carries its own table of contents, so there is no index to
/// keep in step with the packs: a pack is complete, or it is not read.
enum Pack {
    /// A pack is written once it holds this much (restic's default, too).
    static let targetSize = 16 << 20
    static let magic = Array("TNDMPACK".utf8)
    /// The table's length (4 bytes, big-endian) and the magic number.
    static let trailerSize = 4 + 8
    private static let tableVersion: UInt8 = 1
    private static let entrySize = 32 + 4 + 4

    /// Where one object lies in its pack.
    struct Entry: Sendable, Equatable {
        var address: String
        var offset: Int
        var length: Int
    }

    /// A new pack's name: random, so two devices never write the same one.
    static func newName() -> String {
        Digest.randomHex(bytes: 32)
    }

    /// Whether `name` has the form of a pack's name: 64 lowercase hex digits.
    static func isName(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func associatedData(_ name: String) -> [UInt8] {
        Array("tandem-pack \(name)".utf8)
    }

    /// The table of contents before sealing: a version, then each object's
    /// address (32 bytes), offset and length (4 bytes each, big-endian).
    static func table(_ entries: [Entry]) -> [UInt8] {
        var bytes: [UInt8] = [tableVersion]
        bytes.reserveCapacity(1 + entries.count * entrySize)
        for entry in entries {
            // Addresses are digests this process computed: hex by construction.
            guard let address = Digest.bytes(fromHex: entry.address) else { preconditionFailure("a pack entry's address is hex: \(entry.address)") }
            bytes += address
            bytes += bigEndian(UInt32(entry.offset))
            bytes += bigEndian(UInt32(entry.length))
        }
        return bytes
    }

    /// The entries of an opened table, or nil when it is malformed or names
    /// bytes beyond `objectsEnd` (where the table starts).
    static func entries(ofTable bytes: [UInt8], objectsEnd: Int) -> [Entry]? {
        guard bytes.first == tableVersion, (bytes.count - 1) % entrySize == 0 else { return nil }
        var entries: [Entry] = []
        var position = 1
        while position < bytes.count {
            let address = Digest.hex(bytes[position..<position + 32])
            let offset = Int(readBigEndian(bytes, at: position + 32)), length = Int(readBigEndian(bytes, at: position + 36))
            guard length > 0, offset + length <= objectsEnd else { return nil }
            entries.append(Entry(address: address, offset: offset, length: length))
            position += entrySize
        }
        return entries
    }

    /// The trailer of a pack of `objectsEnd` bytes of objects and a sealed
    /// table of `tableLength` bytes.
    static func trailer(tableLength: Int) -> [UInt8] {
        bigEndian(UInt32(tableLength)) + magic
    }

    /// The sealed table's length, from the last `trailerSize` bytes; nil
    /// when they are not a pack's trailer.
    static func tableLength(fromTrailer bytes: [UInt8]) -> Int? {
        guard bytes.count == trailerSize, Array(bytes[4...]) == magic else { return nil }
        return Int(readBigEndian(bytes, at: 0))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func readBigEndian(_ bytes: [UInt8], at position: Int) -> UInt32 {
        bytes[position..<position + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// `length` bytes of the file `fd` from `offset`; nil when the file ends first.
    static func read(_ fd: Int32, offset: Int, length: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset + done)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            done += count
        }
        return bytes
    }
}
