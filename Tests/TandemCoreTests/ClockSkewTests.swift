import Foundation
import Testing
@testable import TandemCore

@Suite struct ClockSkewTests {
    /// The original helper asked for "changes since my last sync time"; a
    /// device whose clock runs an hour behind writes changes stamped before
    /// that time, and they were never fetched. Positional cursors miss nothing.
    @Test func aDeviceAnHourBehindLosesNoChange() async throws {
        let world = try TestWorld()
        try world.addDevice("ontime")
        try world.addDevice("behind", clockOffset: -3_600_000)
        try world.addDevice("ahead", clockOffset: 3_600_000)
        try world.put("ahead", "notes", "from-ahead", "1")
        try await world.sync("ahead")
        try await world.sync("ontime", .accept)
        for index in 0..<10 {
            try world.put("behind", "notes", "late-\(index)", "\(index)")
            try await world.sync("behind")
            try await world.sync("ontime", .accept)
        }
        try await world.sync("ahead", .accept)
        #expect(try world.data("ontime").count == 11)
        #expect(try world.data("ahead").count == 11)
        try await world.sync("behind", .accept)
        #expect(try world.data("behind") == (try world.data("ontime")))
    }

    @Test func aSkewedDevicesLaterEditStillWinsBecauseItSawTheEarlierOne() async throws {
        let world = try TestWorld()
        try world.addDevice("ahead", clockOffset: 3_600_000)
        try world.addDevice("behind", clockOffset: -3_600_000)
        try world.put("ahead", "c", "k", #""first""#)
        try await world.sync("ahead")
        try await world.sync("behind", .accept)
        try world.put("behind", "c", "k", #""second""#)
        let written = try #require(try world["behind"].entry(context: "c", key: "k")?.local)
        try await world.sync("behind")
        try await world.sync("ahead", .accept)
        #expect(try world.value("ahead", "c", "k") == #""second""#)
        // The HLC absorbed the timestamp it had seen, so the version orders after it.
        let first = try #require(try world["ahead"].entry(context: "c", key: "k")?.vault.first)
        #expect(written.timestamp.wallMillis >= 1_800_000_000_000 + 3_600_000)
        #expect(first.value == #""second""#)
    }
}

/// A clock that says 2999 does not pull the others there: a remote time more
/// than a day ahead of the local wall clock is kept in its version, but not
/// adopted, and the device that wrote it is recorded.
@Suite struct ClockBoundTests {
    static let now: Int64 = 1_800_000_000_000
    static let centuries: Int64 = 973 * 365 * 86_400_000

    @Test func theClockAdoptsARemoteTimeUpToADayAheadAndNoFurther() {
        var clock = HybridLogicalClock()
        let limit = Self.now + HybridLogicalClock.maxAheadMillis
        let adopted = clock.receive(HLCTimestamp(wallMillis: limit), now: Self.now)
        #expect(adopted)
        #expect(clock.last == HLCTimestamp(wallMillis: limit, counter: 1))
        var other = HybridLogicalClock(last: HLCTimestamp(wallMillis: Self.now - 5))
        let refused = !other.receive(HLCTimestamp(wallMillis: limit + 1), now: Self.now)
        #expect(refused)
        #expect(other.last == HLCTimestamp(wallMillis: Self.now - 5))
        #expect(other.tick(now: Self.now).wallMillis == Self.now)
    }

    @Test func aDeviceCenturiesAheadIsRecordedAndItsTimeIsNotAdopted() async throws {
        let world = try TestWorld()
        let phone = try world.addDevice("phone", clockOffset: Self.centuries)
        try world.addDevice("laptop")
        try world.put("phone", "c", "k", #""from phone""#)
        try await world.sync("phone")
        try await world.sync("laptop", .accept)
        #expect(try world.value("laptop", "c", "k") == #""from phone""#)
        let kept = try #require(try world["laptop"].entry(context: "c", key: "k")?.local)
        #expect(kept.timestamp.wallMillis > Self.now + Self.centuries, "the version keeps the time it was written with")

        try world.put("laptop", "c", "mine", "1")
        let written = try #require(try world["laptop"].entry(context: "c", key: "mine")?.local)
        #expect(written.timestamp.wallMillis < Self.now + HybridLogicalClock.maxAheadMillis)
        let ahead = try world["laptop"].clocksAhead()
        #expect(ahead.map(\.device) == [try phone.info().id])
        #expect(ahead.first.map { abs($0.aheadMillis - Self.centuries) < 60_000 } == true)
        #expect(try phone.clocksAhead().isEmpty)
    }

    /// Versions keep their times, so every device still picks the same
    /// winner between concurrent ones, whoever's clock is wrong.
    @Test func concurrentWritesStillConvergeWithAClockCenturiesAhead() async throws {
        let world = try TestWorld()
        try world.addDevice("phone", clockOffset: Self.centuries)
        try world.addDevice("laptop")
        try world.addDevice("tablet")
        try world.put("phone", "c", "k", #""phone""#)
        try world.put("laptop", "c", "k", #""laptop""#)
        try world.put("tablet", "c", "k", #""tablet""#)
        for _ in 0..<2 {
            for name in ["phone", "laptop", "tablet"] { try await world.sync(name, .accept) }
        }
        let values = try ["phone", "laptop", "tablet"].map { try world.value($0, "c", "k") }
        #expect(Set(values).count == 1, "\(values)")
    }
}
