import CZstd
import Foundation

/// How hard a snapshot compresses its chunks.
public enum Compression: String, Sendable, CaseIterable {
    /// Stored as they are.
    case off
    /// zstd level 1: a third faster than `standard`, about 5% larger.
    case fast
    /// zstd level 3, zstd's default and restic's.
    case standard
    /// zstd level 11: for archives written once.
    case max

    var level: Int32? {
        switch self {
        case .off: nil
        case .fast: 1
        case .standard: 3
        case .max: 11
        }
    }
}

/// zstd compression of chunks. zstd, not zlib: on prose zlib level 1
/// compresses about 3.2× at 70 MB/s a core, where zstd level 3 compresses
/// 3.9× at 200 MB/s (DesignNotes, "Why zstd, and two levels").
enum Zstd {
    /// `bytes` compressed, or nil when zstd fails.
    static func compress(_ bytes: ArraySlice<UInt8>, level: Int32 = Compression.standard.level!) -> [UInt8]? {
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
    /// already compressed data (photos, archives) costs one small try. The
    /// try is the start of the real compression, flushed to be measured, so
    /// when it pays nothing is compressed twice and the rest keeps its context.
    static func compressIfItPays(_ bytes: [UInt8], level: Int32) -> [UInt8]? {
        let sampleSize = 64 * 1024
        guard bytes.count >= 64 else { return nil }
        let context = contexts.take()
        defer { contexts.give(context) }
        ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters)
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setPledgedSrcSize(context, UInt64(bytes.count))
        // Left uninitialized: zstd writes what is kept, and the pages of a large
        // buffer it never reaches (random data stops after the sample) are
        // never touched, so they cost no memory.
        var written: Int?
        let output = [UInt8](unsafeUninitializedCapacity: ZSTD_compressBound(bytes.count)) { buffer, initialized in
            let out = UnsafeMutableRawBufferPointer(buffer)
            written = bytes.withUnsafeBytes { input -> Int? in
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: min(sampleSize, input.count), pos: 0)
                func drain(_ mode: ZSTD_EndDirective) -> Bool {
                    while true {
                        let left = ZSTD_compressStream2(context, &outBuffer, &inBuffer, mode)
                        if ZSTD_isError(left) != 0 { return false }
                        if left == 0 && inBuffer.pos == inBuffer.size { return true }
                        // Cannot happen with a bound-sized output; never spin if it does.
                        if outBuffer.pos == outBuffer.size { return false }
                    }
                }
                if input.count > sampleSize {
                    guard drain(ZSTD_e_flush), outBuffer.pos * 10 < sampleSize * 9 else { return nil }
                    inBuffer.size = input.count
                }
                guard drain(ZSTD_e_end) else { return nil }
                return outBuffer.pos
            }
            initialized = written ?? 0
        }
        guard let written, written * 10 < bytes.count * 9 else { return nil }
        return output
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
