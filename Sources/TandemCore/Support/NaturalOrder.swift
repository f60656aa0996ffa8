/// The order people expect of names with numbers in them: `k1, k2, k10`,
/// not `k1, k10, k2`. Runs of digits compare by their value; everything
/// else by its UTF-8 bytes, as SQLite's default order does.
public enum NaturalOrder {
    /// A byte string whose plain order is the natural order of `text`:
    /// each run of digits becomes a marker, its length without leading
    /// zeros, then those digits, so a longer number sorts after a shorter
    /// one. Computed once per name, a sort then compares bytes only.
    public static func sortKey(_ text: String) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(text.utf8.count + 4)
        var digits: [UInt8] = []
        func flushDigits() {
            guard !digits.isEmpty else { return }
            let significant = digits.drop { $0 == UInt8(ascii: "0") }
            key.append(UInt8(ascii: "0"))
            key.append(UInt8(min(significant.count, 255)))
            key += significant
            digits.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits.append(byte)
            } else {
                flushDigits()
                key.append(byte)
            }
        }
        flushDigits()
        return key
    }

    /// True when `text` has no digit: its natural order is its byte order.
    static func hasNoDigits(_ text: String) -> Bool {
        !text.utf8.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// `items` ordered naturally by context, then key; names that differ
    /// only in leading zeros (`k01`, `k1`) keep their byte order.
    public static func sorted<T>(_ items: [T], context: (T) -> String, key: (T) -> String) -> [T] {
        // Names without digits are in natural order already (the store
        // returns byte order): the common case costs one scan.
        guard items.contains(where: { !hasNoDigits(context($0)) || !hasNoDigits(key($0)) }) else { return items }
        let keyed = items.enumerated().map { (offset: $0.offset, context: sortKey(context($0.element)), key: sortKey(key($0.element))) }
        let order = keyed.sorted { lhs, rhs in
            if lhs.context != rhs.context { return lhs.context.lexicographicallyPrecedes(rhs.context) }
            if lhs.key != rhs.key { return lhs.key.lexicographicallyPrecedes(rhs.key) }
            return lhs.offset < rhs.offset
        }
        return order.map { items[$0.offset] }
    }
}
