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

    /// True when compressing `bytes` is likely to pay: a 64 KiB sample must
    /// shrink by at least 10%. Random or already compressed data (photos,
    /// archives) is stored as it is without spending time on it.
    static func worthCompressing(_ bytes: [UInt8]) -> Bool {
        let sample = Array(bytes.prefix(64 * 1024))
        guard sample.count >= 64, let compressed = compress(sample) else { return false }
        return compressed.count * 10 < sample.count * 9
    }
}
