import CZstd
import Foundation

/// zstd compression of chunks. zstd, not zlib: on prose zlib level 1
/// compresses about 3.2× at 70 MB/s a core, where zstd level 3 compresses
/// 3.9× at 200 MB/s (DesignNotes, "Why zstd").
enum Zstd {
    /// The level every chunk is compressed at: zstd's default, restic's too.
    static let level: Int32 = 3

    /// `bytes` compressed, or nil when zstd fails.
    static func compress(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        let bound = ZSTD_compressBound(bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let context = contexts.take()
        defer { contexts.give(context) }
        let length = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                ZSTD_compressCCtx(context, out.baseAddress, bound, input.baseAddress, input.count, level)
            }
        }
        guard ZSTD_isError(length) == 0 else { return nil }
        output.removeSubrange(length...)
        return output
    }

    /// Decompresses `bytes` that hold exactly `size` bytes once expanded.
    static func decompress(_ bytes: ArraySlice<UInt8>, size: Int) -> [UInt8]? {
        // No chunk is larger: a damaged size field must not ask for gigabytes.
        guard size <= Chunker.maximumSize else { return nil }
        var output = [UInt8](repeating: 0, count: size)
        let length = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                ZSTD_decompress(out.baseAddress, size, input.baseAddress, input.count)
            }
        }
        guard ZSTD_isError(length) == 0, length == size else { return nil }
        return output
    }

    /// Whether `bytes` start as a zstd frame does (JSON never does).
    static func isFrame(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD])
    }

    /// Expands a frame made by `compress`, which records its size; nil when
    /// it does not expand, or would expand beyond `limit` bytes.
    static func decompressFrame(_ bytes: [UInt8], limit: Int) -> [UInt8]? {
        let size = bytes.withUnsafeBufferPointer { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard size <= UInt64(limit) else { return nil }
        var output = [UInt8](repeating: 0, count: Int(size))
        let length = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { ZSTD_decompress(out.baseAddress, Int(size), $0.baseAddress, $0.count) }
        }
        guard ZSTD_isError(length) == 0, length == Int(size) else { return nil }
        return output
    }

    /// `bytes` compressed when that pays (a tenth smaller at least), else
    /// nil. A large input is judged by its first 64 KiB first, so random or
    /// already compressed data (photos, archives) costs one small try.
    static func compressIfItPays(_ bytes: [UInt8]) -> [UInt8]? {
        let sampleSize = 64 * 1024
        guard bytes.count >= 64 else { return nil }
        if bytes.count > sampleSize {
            guard let sample = compress(bytes.prefix(sampleSize)), sample.count * 10 < sampleSize * 9 else { return nil }
        }
        guard let compressed = compress(bytes[...]), compressed.count * 10 < bytes.count * 9 else { return nil }
        return compressed
    }

    /// Compression contexts are reused: making one per chunk would cost more
    /// than compressing a small chunk.
    private static let contexts = ContextPool()

    private final class ContextPool: @unchecked Sendable {
        private let lock = NSLock()
        private var idle: [OpaquePointer] = []

        func take() -> OpaquePointer {
            lock.withLock { idle.popLast() } ?? ZSTD_createCCtx()
        }

        func give(_ context: OpaquePointer) {
            lock.withLock { idle.append(context) }
        }
    }
}
