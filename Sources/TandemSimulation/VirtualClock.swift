import Foundation
import TandemCore

/// Time that moves only when the simulation says so; each device may read it
/// with its own skew, as real devices with wrong clocks do.
public final class VirtualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var millis: Int64

    public init(startMillis: Int64 = 1_800_000_000_000) {
        millis = startMillis
    }

    public var now: Int64 {
        lock.lock(); defer { lock.unlock() }
        return millis
    }

    public func advance(by delta: Int64) {
        lock.lock(); defer { lock.unlock() }
        millis += delta
    }

    /// The clock as one device reads it.
    public func skewed(by offset: Int64) -> any WallClock {
        SkewedClock(base: self, offset: offset)
    }

    private struct SkewedClock: WallClock {
        let base: VirtualClock
        let offset: Int64
        func nowMillis() -> Int64 { base.now + offset }
    }
}
