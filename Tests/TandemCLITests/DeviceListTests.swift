import Foundation
import Testing

/// `tandem device list` marks as current the device the other commands
/// would use with the same options.
@Suite struct DeviceListTests {
    @Test func theDeviceGivenWithDeviceIsTheCurrentOne() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        func current(_ arguments: String...) throws -> [String] {
            let result = try cli.run(["device", "list"] + arguments + ["--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let rows = try #require(try result.json() as? [JSONObject])
            return rows.filter { $0["current"] as? Bool == true }.compactMap { $0["name"] as? String }
        }
        let byDefault = try current()
        #expect(byDefault.count == 1)
        #expect(try current("--device", "laptop") == ["laptop"])
        #expect(try current("--device", "phone") == ["phone"])
        let unknown = try cli.run(["device", "list", "--device", "tablet"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("tablet"), "\(unknown.stderr)")
    }
}
