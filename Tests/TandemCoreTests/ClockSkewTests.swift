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
