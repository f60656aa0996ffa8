/// What a version had seen when it was written: for each device, how many of
/// that device's writes.
///
/// ```swift
/// let a: VersionVector = [laptop: 2]
/// let b = a.merged(with: [phone: 1])   // [laptop: 2, phone: 1]
/// b.compare(to: a)                       // .dominates
/// ```
///
/// The counters are kept sorted by device id, the order every encoding
/// writes them in: after many reinstalls a vector names twenty devices,
/// and a restore compares, merges and writes a few vectors per entry, each
/// a walk along two sorted lists instead of lookups in a dictionary.
public struct VersionVector: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    /// One device's counter.
    public struct Entry: Hashable, Sendable {
        public var device: DeviceID
        public var counter: UInt64
    }

    /// Sorted by device id, each device once, no zero counter.
    public private(set) var entries: [Entry]

    public init(_ counters: [DeviceID: UInt64] = [:]) {
        entries = counters.filter { $0.value > 0 }.map { Entry(device: $0.key, counter: $0.value) }.sorted { $0.device < $1.device }
    }

    public init(dictionaryLiteral elements: (DeviceID, UInt64)...) {
        self.init(Dictionary(elements, uniquingKeysWith: max))
    }

    /// From counters in any order; a device named twice keeps its last counter.
    init(pairs: [(DeviceID, UInt64)]) {
        var ascending = true
        for index in pairs.indices.dropFirst() where !(pairs[index - 1].0 < pairs[index].0) {
            ascending = false
            break
        }
        guard ascending else {
            self.init(Dictionary(pairs, uniquingKeysWith: { _, last in last }))
            return
        }
        self.init(sorted: pairs.compactMap { $0.1 > 0 ? Entry(device: $0.0, counter: $0.1) : nil })
    }

    private init(sorted entries: [Entry]) {
        self.entries = entries
    }

    /// The counters by device.
    public var counters: [DeviceID: UInt64] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.device, $0.counter) })
    }

    /// How many devices it names.
    public var count: Int { entries.count }

    public subscript(device: DeviceID) -> UInt64 {
        for entry in entries where entry.device == device { return entry.counter }
        return 0
    }

    /// How two versions relate.
    public enum Order: Sendable, Equatable {
        case equal, dominates, dominated, concurrent
    }

    public func compare(to other: VersionVector) -> Order {
        var greater = false
        var less = false
        var mine = 0, theirs = 0
        let left = entries, right = other.entries
        while mine < left.count || theirs < right.count {
            if theirs == right.count || (mine < left.count && left[mine].device < right[theirs].device) {
                greater = true
                mine += 1
            } else if mine == left.count || right[theirs].device < left[mine].device {
                less = true
                theirs += 1
            } else {
                if left[mine].counter > right[theirs].counter { greater = true } else if left[mine].counter < right[theirs].counter { less = true }
                mine += 1
                theirs += 1
            }
            if greater && less { return .concurrent }
        }
        switch (greater, less) {
        case (false, false): return .equal
        case (true, false): return .dominates
        case (false, true): return .dominated
        case (true, true): return .concurrent
        }
    }

    /// True when this version has seen everything `other` has.
    public func includes(_ other: VersionVector) -> Bool {
        let order = compare(to: other)
        return order == .equal || order == .dominates
    }

    /// The least upper bound: everything either side has seen.
    public func merged(with other: VersionVector) -> VersionVector {
        var result: [Entry] = []
        result.reserveCapacity(max(entries.count, other.entries.count))
        var mine = 0, theirs = 0
        let left = entries, right = other.entries
        while mine < left.count || theirs < right.count {
            if theirs == right.count || (mine < left.count && left[mine].device < right[theirs].device) {
                result.append(left[mine])
                mine += 1
            } else if mine == left.count || right[theirs].device < left[mine].device {
                result.append(right[theirs])
                theirs += 1
            } else {
                result.append(Entry(device: left[mine].device, counter: max(left[mine].counter, right[theirs].counter)))
                mine += 1
                theirs += 1
            }
        }
        return VersionVector(sorted: result)
    }

    /// A copy with `device`'s counter set.
    public func setting(_ device: DeviceID, to counter: UInt64) -> VersionVector {
        var result = entries
        if let index = result.firstIndex(where: { !($0.device < device) }), result[index].device == device {
            if counter > 0 { result[index].counter = counter } else { result.remove(at: index) }
        } else if counter > 0 {
            result.insert(Entry(device: device, counter: counter), at: result.firstIndex { device < $0.device } ?? result.endIndex)
        }
        return VersionVector(sorted: result)
    }

    /// A copy without `device`'s counter.
    public func removing(_ device: DeviceID) -> VersionVector {
        VersionVector(sorted: entries.filter { $0.device != device })
    }

    /// Entries sorted by device id: the order every encoding uses.
    public var sorted: [(device: DeviceID, counter: UInt64)] {
        entries.map { (device: $0.device, counter: $0.counter) }
    }

    /// Compact text form `id:n,id:n` (sorted), used in the store.
    public var compactText: String {
        // Bytes written in place, then one string: after many reinstalls a vector
        // has twenty entries, and every stored version writes one or two of these.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * 24)
        var digits = [UInt8](repeating: 0, count: 20)
        for (index, entry) in entries.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { hex in
                DeviceID.writeHex(entry.device.number, into: hex)
                bytes.append(contentsOf: hex)
            }
            bytes.append(UInt8(ascii: ":"))
            var counter = entry.counter
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(counter % 10)
                counter /= 10
                count += 1
            } while counter > 0
            for position in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[position]) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses ``compactText``; nil when it is not of that form.
    ///
    /// Every entry read from a store parses two or more of these, so this
    /// reads the bytes once instead of splitting into substrings.
    public init?(compactText: String) {
        var pairs: [(DeviceID, UInt64)] = []
        var text = compactText
        let parsed = text.withUTF8 { bytes -> Bool in
            var start = 0
            while start < bytes.count {
                // 16 hex digits, a colon, decimal digits, then a comma or the end.
                let colon = start + 16
                guard colon < bytes.count, bytes[colon] == UInt8(ascii: ":"),
                      let number = DeviceID.number(hex: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<colon])))
                else { return false }
                let device = DeviceID(number: number)
                var index = colon + 1
                var counter: UInt64 = 0
                while index < bytes.count, bytes[index] != UInt8(ascii: ",") {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    let (tens, overflow) = counter.multipliedReportingOverflow(by: 10)
                    guard digit < 10, !overflow, tens <= .max - UInt64(digit) else { return false }
                    counter = tens + UInt64(digit)
                    index += 1
                }
                guard index > colon + 1 else { return false }
                pairs.append((device, counter))
                guard index < bytes.count else { return true }
                start = index + 1
                guard start < bytes.count else { return false }
            }
            return true
        }
        guard parsed else { return nil }
        self.init(pairs: pairs)
    }
}
