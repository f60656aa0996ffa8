#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Crypto

/// Content-defined chunking (FastCDC with normalized chunking): cut points
/// depend on the bytes around them, so an insertion early in a file moves
/// only the chunk it falls in, and the rest are found again by address.
///
/// Sizes: at least 256 KiB, 1 MiB on average, at most 4 MiB. Files under
/// 256 KiB are one chunk. A 1 MiB average keeps the vault near one file per
/// MiB, which synced folders (Syncthing, Dropbox) handle well, while an edit
/// in a large file rewrites only a MiB or two; restic makes the same choice.
public struct Chunker: Sendable {
    public static let minimumSize = 256 * 1024
    public static let averageSize = 1024 * 1024
    public static let maximumSize = 4 * 1024 * 1024

    /// Normalized chunking: a harder cut condition (22 bits) below the
    /// average and an easier one (18 bits) above it pulls sizes toward it.
    private static let smallMask: UInt64 = ~0 << (64 - 22)
    private static let largeMask: UInt64 = ~0 << (64 - 18)

    /// The gear table: 256 fixed pseudo-random words. They are part of the
    /// format in practice (other values would cut elsewhere and dedup less
    /// against older snapshots), so they come from SHA-256 of fixed text.
    private static let gear: [UInt64] = (0..<256).map { index in
        let digest = Array(SHA256.hash(data: Array("tandem gear \(index)".utf8)))
        return digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    public init() {}

    /// Where the chunk starting at `bytes[0]` ends. `bytes` holds the maximum
    /// chunk size, or everything left of the file.
    func cutPoint(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let count = bytes.count
        guard count > Self.minimumSize else { return count }
        let normal = min(Self.averageSize, count)
        let limit = min(Self.maximumSize, count)
        var hash: UInt64 = 0
        var index = Self.minimumSize
        Self.gear.withUnsafeBufferPointer { gear in
            while index < normal {
                hash = (hash << 1) &+ gear[Int(bytes[index])]
                if hash & Self.smallMask == 0 { return }
                index += 1
            }
            while index < limit {
                hash = (hash << 1) &+ gear[Int(bytes[index])]
                if hash & Self.largeMask == 0 { return }
                index += 1
            }
        }
        return min(index + 1, limit)
    }

    /// Calls `body` with each chunk of the open file `fd`, in order. Returns
    /// the bytes read. `sizeHint` (the file's size when it was listed) keeps
    /// the buffer small for small files; it grows if the file did.
    ///
    /// The buffer holds up to four maximum chunks, and what is left is moved
    /// to its front only when less than a maximum chunk remains: moving it
    /// after every chunk copied each byte of a large file three times more.
    @discardableResult
    func forEachChunk(of fd: Int32, sizeHint: Int = Chunker.maximumSize, _ body: ([UInt8]) throws -> Void) throws -> Int {
        let capacity = 4 * Self.maximumSize
        var buffer = [UInt8](repeating: 0, count: min(capacity, max(4096, sizeHint + 1)))
        var begin = 0
        var filled = 0
        var total = 0
        var atEnd = false
        while true {
            // cutPoint needs a maximum chunk, or the rest of the file.
            while !atEnd, filled - begin < Self.maximumSize {
                if begin > 0 {
                    buffer.withUnsafeMutableBytes { raw in _ = memmove(raw.baseAddress!, raw.baseAddress! + begin, filled - begin) }
                    filled -= begin
                    begin = 0
                }
                if filled == buffer.count { buffer += [UInt8](repeating: 0, count: capacity - buffer.count) }
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ChunkerError(errno: errno)
                }
                if count == 0 { atEnd = true }
                filled += count
                total += count
            }
            guard filled > begin else { return total }
            let cut = buffer.withUnsafeBufferPointer { cutPoint(UnsafeBufferPointer(rebasing: $0[begin..<filled])) }
            try body(Array(buffer[begin..<begin + cut]))
            begin += cut
        }
    }
}

struct ChunkerError: Error, CustomStringConvertible {
    var errno: Int32
    var description: String { String(cString: strerror(errno)) }
}
