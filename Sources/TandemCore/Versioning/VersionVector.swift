/// What a version had seen when it was written: for each device, how many of
/// that device's writes.
///
/// ```swift
/// let a: VersionVector = [laptop: 2]
/// let b = a.merged(with: [phone: 1])   // [laptop: 2, phone: 1]
/// b.compare(to: a)                       // .dominates
/// ```
public struct VersionVector: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    public private(set) var counters: [DeviceID: UInt64]

    public init(_ counters: [DeviceID: UInt64] = [:]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    public init(dictionaryLiteral elements: (DeviceID, UInt64)...) {
        self.init(Dictionary(elements, uniquingKeysWith: max))
    }

    public subscript(device: DeviceID) -> UInt64 {
        counters[device] ?? 0
    }

    /// How two versions relate.
    public enum Order: Sendable, Equatable {
        case equal, dominates, dominated, concurrent
    }

    public func compare(to other: VersionVector) -> Order {
        var greater = false
        var less = false
        for (device, mine) in counters {
            let theirs = other[device]
            if mine > theirs { greater = true } else if mine < theirs { less = true }
        }
        for (device, theirs) in other.counters where counters[device] == nil && theirs > 0 {
            less = true
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
        var result = counters
        for (device, theirs) in other.counters {
            result[device] = max(result[device] ?? 0, theirs)
        }
        return VersionVector(result)
    }

    /// A copy with `device`'s counter set.
    public func setting(_ device: DeviceID, to counter: UInt64) -> VersionVector {
        var result = counters
        result[device] = counter
        return VersionVector(result)
    }

    /// A copy without `device`'s counter.
    public func removing(_ device: DeviceID) -> VersionVector {
        var result = counters
        result[device] = nil
        return VersionVector(result)
    }

    /// Entries sorted by device id: the order every encoding uses.
    public var sorted: [(device: DeviceID, counter: UInt64)] {
        counters.sorted { $0.key < $1.key }.map { (device: $0.key, counter: $0.value) }
    }

    /// Compact text form `id:n,id:n` (sorted), used in the store.
    public var compactText: String {
        if counters.count == 1, let (device, counter) = counters.first { return "\(device.rawValue):\(counter)" }
        // One string grown in place: after many reinstalls a vector has twenty
        // entries, and every stored version writes one or two of these.
        var text = ""
        text.reserveCapacity(counters.count * 24)
        for (index, entry) in counters.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { text.append(",") }
            text.append(entry.key.rawValue)
            text.append(":")
            text.append(String(entry.value))
        }
        return text
    }

    /// Parses ``compactText``; nil when it is not of that form.
    ///
    /// Every entry read from a store parses two or more of these, so this
    /// reads the bytes once instead of splitting into substrings.
    public init?(compactText: String) {
        var counters: [DeviceID: UInt64] = [:]
        var text = compactText
        let parsed = text.withUTF8 { bytes -> Bool in
            var start = 0
            while start < bytes.count {
                // 16 hex digits, a colon, decimal digits, then a comma or the end.
                let colon = start + 16
                guard colon < bytes.count, bytes[colon] == UInt8(ascii: ":"),
                      let device = DeviceID(validating: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<colon]), as: UTF8.self))
                else { return false }
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
                counters[device] = counter
                guard index < bytes.count else { return true }
                start = index + 1
                guard start < bytes.count else { return false }
            }
            return true
        }
        guard parsed else { return nil }
        self.init(counters)
    }
}
