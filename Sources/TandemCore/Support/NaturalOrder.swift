/// The order people expect of names with numbers in them: `k1, k2, k10`,
/// not `k1, k10, k2`. Runs of digits compare by their value; everything
/// else by its UTF-8 bytes, as SQLite's default order does.
public enum NaturalOrder {
    /// True when `a` comes before `b`; names equal but for leading zeros
    /// (`k01`, `k1`) are neither.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        compare(a, b) < 0
    }

    /// -1, 0 or 1, reading both names' bytes in place: no copy is made, so
    /// a sort of 100,000 rows allocates nothing per comparison.
    static func compare(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { left in b.withUTF8 { right in compare(left, right) } }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if isDigit(a[i]) && isDigit(b[j]) {
                // Skip leading zeros, then the longer run is the larger number;
                // of equal length, the first digit that differs decides.
                while i < a.count && a[i] == 0x30 { i += 1 }
                while j < b.count && b[j] == 0x30 { j += 1 }
                var endA = i, endB = j
                while endA < a.count && isDigit(a[endA]) { endA += 1 }
                while endB < b.count && isDigit(b[endB]) { endB += 1 }
                if endA - i != endB - j { return endA - i < endB - j ? -1 : 1 }
                while i < endA {
                    if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
                    i += 1
                    j += 1
                }
                continue
            }
            if a[i] != b[j] {
                // A digit run against another byte sorts as its first digit would.
                return a[i] < b[j] ? -1 : 1
            }
            i += 1
            j += 1
        }
        let restA = a.count - i, restB = b.count - j
        return restA == restB ? 0 : restA < restB ? -1 : 1
    }

    /// A byte string whose plain order is the natural order of `text`:
    /// each run of digits becomes a marker (`0`), its length without
    /// leading zeros, then those digits, so a longer number sorts after a
    /// shorter one. Made once per name, a sort then compares bytes only.
    static func appendSortKey(of text: String, to key: inout [UInt8]) {
        var run: [UInt8] = []
        func flush() {
            guard !run.isEmpty else { return }
            let significant = run.drop { $0 == 0x30 }
            key.append(0x30)
            key.append(UInt8(min(significant.count, 255)))
            key += significant
            run.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            if isDigit(byte) { run.append(byte) } else {
                flush()
                key.append(byte)
            }
        }
        flush()
    }

    /// `items` ordered naturally by context, then key; the store returns
    /// them in byte order, which is kept between names that compare equal.
    /// Names already in natural order (no digits, or zero-padded numbers)
    /// cost one pass over neighbours, and nothing is sorted.
    public static func sorted<T>(_ items: [T], context: (T) -> String, key: (T) -> String) -> [T] {
        func order(_ x: T, _ y: T) -> Int {
            let byContext = compare(context(x), context(y))
            return byContext != 0 ? byContext : compare(key(x), key(y))
        }
        guard zip(items, items.dropFirst()).contains(where: { order($0, $1) > 0 }) else { return items }
        // One key per row (context, a byte below every other, key): the
        // sort compares bytes, not digit runs, 17 times per row.
        let keys = items.map { item -> [UInt8] in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(context(item).utf8.count + key(item).utf8.count + 6)
            appendSortKey(of: context(item), to: &bytes)
            bytes.append(0)
            appendSortKey(of: key(item), to: &bytes)
            return bytes
        }
        let indices = items.indices.sorted { lhs, rhs in
            keys[lhs] == keys[rhs] ? lhs < rhs : keys[lhs].lexicographicallyPrecedes(keys[rhs])
        }
        return indices.map { items[$0] }
    }
}
