import Foundation
import Testing

/// A device whose clock says 2999 is named by `status` on the devices that
/// synced with it, and does not drag their clocks there.
@Suite struct ClockSkewCLITests {
    @Test func aDeviceCenturiesAheadIsNamedAndItsTimeIsNotAdopted() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        // phone's clock has been at 2999: its store's clock says so.
        let y2999 = try #require(ISO8601DateFormatter().date(from: "2999-01-01T00:00:00Z"))
        let millis = Int64(y2999.timeIntervalSince1970 * 1000)
        let store = cli.home.appendingPathComponent("devices/phone/store.sqlite").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [store, "UPDATE meta SET value = '\(millis)' WHERE key = 'clock_wall'"]
        try sqlite.run()
        sqlite.waitUntilExit()
        try #require(sqlite.terminationStatus == 0)
        try cli.ok("put", "c", "k", #""from phone""#, "--device", "phone", "--sync")
        let phoneTime = try #require(((try cli.json("get", "c", "k", "--device", "phone") as? JSONObject)?["local"] as? JSONObject)?["time"] as? String)
        #expect(phoneTime.hasPrefix("2999-"))

        try cli.ok("sync", "--device", "laptop", "--policy", "accept")
        try cli.ok("put", "c", "mine", "1", "--device", "laptop")
        let entry = try #require(try cli.json("get", "c", "mine", "--device", "laptop") as? JSONObject)
        let laptopTime = try #require((entry["local"] as? JSONObject)?["time"] as? String)
        #expect(!laptopTime.hasPrefix("2999-"), "laptop adopted phone's clock: \(laptopTime)")
        // phone's own version keeps the time it was written with.
        #expect(try cli.ok("get", "c", "k", "--device", "laptop", "--compact") == #""from phone""# + "\n")

        let status = try cli.ok("status", "--device", "laptop")
        #expect(status.contains("phone's clock is 972 years ahead: its times are not trusted for ordering here"), "\(status)")
        let json = try #require(try cli.json("status", "--device", "laptop") as? JSONObject)
        let ahead = try #require(json["clocksAhead"] as? [JSONObject])
        #expect(ahead.map { $0["name"] as? String } == ["phone"])
        #expect((ahead.first?["aheadMillis"] as? Int).map { $0 > 900 * 365 * 86_400_000 } == true)
        #expect(!(try cli.ok("status", "--device", "phone")).contains("clock is"))
    }
}
