#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A hybrid-logical-clock timestamp: wall milliseconds and a counter that
/// breaks ties within one millisecond.
///
/// Timestamps order versions for display and break ties between concurrent
/// versions; they never decide what a device has seen (the version vector does).
public struct HLCTimestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970, as the writing device's clock saw them (never less
    /// than any timestamp that device had seen before).
    public var wallMillis: Int64
    /// Orders events that share one `wallMillis`.
    public var counter: UInt32

    public init(wallMillis: Int64, counter: UInt32 = 0) {
        self.wallMillis = wallMillis
        self.counter = counter
    }

    public static let zero = HLCTimestamp(wallMillis: 0, counter: 0)

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool {
        (lhs.wallMillis, lhs.counter) < (rhs.wallMillis, rhs.counter)
    }

    public var description: String { "\(wallMillis).\(counter)" }
}

/// The clock state of one device: it only moves forward, also when the wall
/// clock goes back, and it absorbs every timestamp the device receives.
public struct HybridLogicalClock: Sendable, Equatable {
    public private(set) var last: HLCTimestamp

    public init(last: HLCTimestamp = .zero) {
        self.last = last
    }

    /// The timestamp of a local event happening at wall time `now`.
    public mutating func tick(now: Int64) -> HLCTimestamp {
        if now > last.wallMillis {
            last = HLCTimestamp(wallMillis: now, counter: 0)
        } else {
            last = HLCTimestamp(wallMillis: last.wallMillis, counter: last.counter &+ 1)
        }
        return last
    }

    /// How far ahead of the local wall clock a received timestamp may move
    /// this clock: one day. A device whose clock says 2999 would otherwise
    /// pull every clock that hears from it to 2999 for good, and every
    /// later write everywhere would be stamped so.
    public static let maxAheadMillis: Int64 = 86_400_000

    /// True when `remote` is further ahead of the wall time `now` than
    /// `maxAheadMillis`: a clock does not adopt it.
    public static func isTooFarAhead(_ remote: HLCTimestamp, now: Int64) -> Bool {
        let (limit, overflow) = now.addingReportingOverflow(maxAheadMillis)
        return !overflow && remote.wallMillis > limit
    }

    /// Absorbs a timestamp read from another device so that later local events
    /// order after it. A timestamp too far ahead (`isTooFarAhead`) changes
    /// nothing and returns false; the version that carries it keeps it, so
    /// every device still orders that version alike.
    @discardableResult
    public mutating func receive(_ remote: HLCTimestamp, now: Int64) -> Bool {
        guard !Self.isTooFarAhead(remote, now: now) else { return false }
        let wall = max(now, last.wallMillis, remote.wallMillis)
        if wall == last.wallMillis && wall == remote.wallMillis {
            last = HLCTimestamp(wallMillis: wall, counter: max(last.counter, remote.counter) &+ 1)
        } else if wall == last.wallMillis {
            last = HLCTimestamp(wallMillis: wall, counter: last.counter &+ 1)
        } else if wall == remote.wallMillis {
            last = HLCTimestamp(wallMillis: wall, counter: remote.counter &+ 1)
        } else {
            last = HLCTimestamp(wallMillis: wall, counter: 0)
        }
        return true
    }
}

/// Where wall time comes from; injected so tests and simulations can skew or
/// freeze it.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970.
    func nowMillis() -> Int64
}

/// The machine's clock, optionally shifted (to simulate a device whose clock is wrong).
public struct SystemClock: WallClock {
    public var offsetMillis: Int64

    public init(offsetMillis: Int64 = 0) {
        self.offsetMillis = offsetMillis
    }

    public func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000 + offsetMillis
    }
}
