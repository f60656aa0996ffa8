import CZlib

/// zlib's one-shot compress and uncompress, for objects.
enum Zlib {
    /// `bytes` compressed at level 1 (fast: snapshot time matters more than
    /// the last percent of size), or nil when zlib fails.
    static func compress(_ bytes: [UInt8]) -> [UInt8]? {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &length, input.baseAddress, uLong(input.count), 1)
            }
        }
        guard status == Z_OK else { return nil }
        output.removeSubrange(Int(length)...)
        return output
    }

    /// Decompresses `bytes` that hold exactly `size` bytes once expanded.
    static func decompress(_ bytes: ArraySlice<UInt8>, size: Int) -> [UInt8]? {
        // No chunk is larger: a damaged size field must not ask for gigabytes.
        guard size <= Chunker.maximumSize else { return nil }
        var length = uLongf(size)
        var output = [UInt8](repeating: 0, count: size)
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &length, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, Int(length) == size else { return nil }
        return output
    }

    /// `bytes` compressed when that pays (a tenth smaller at least), else
    /// nil. A large input is judged by its first 64 KiB first, so random or
    /// already compressed data (photos, archives) costs one small try.
    static func compressIfItPays(_ bytes: [UInt8]) -> [UInt8]? {
        let sampleSize = 64 * 1024
        guard bytes.count >= 64 else { return nil }
        if bytes.count > sampleSize {
            guard let sample = compress(Array(bytes.prefix(sampleSize))), sample.count * 10 < sampleSize * 9 else { return nil }
        }
        guard let compressed = compress(bytes), compressed.count * 10 < bytes.count * 9 else { return nil }
        return compressed
    }
}
