import Foundation
import Testing

/// A device record that does not open or decode is named, by path and why,
/// wherever devices are shown; the device stays listed by its id.
@Suite struct DamagedDeviceRecordTests {
    /// laptop here, phone in another home (another machine) on the same vault,
    /// with phone's record damaged after it synced.
    func world() throws -> (cli: CLI, phoneID: String, record: String) {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let phoneHome = ["TANDEM_HOME": cli.root.appendingPathComponent("phone-home").path]
        let created = try cli.run(["device", "create", "phone", "--vault", cli.vault.path, "--remember-key"], environment: phoneHome)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try cli.run(["put", "c", "k", #""from phone""#, "--sync"], environment: phoneHome).status == 0)
        let status = try cli.run(["status", "--json"], environment: phoneHome)
        let phoneID = try #require((try status.json() as? JSONObject)?["id"] as? String)
        try cli.ok("sync")
        let record = cli.vault.appendingPathComponent("devices/\(phoneID).json").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: record))
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try bytes.write(to: URL(fileURLWithPath: record))
        return (cli, phoneID, record)
    }

    @Test func deviceListNamesTheDamagedRecordAndKeepsTheDeviceByItsID() throws {
        let (cli, phoneID, record) = try world()
        let list = try cli.run(["device", "list"])
        // Listing still works: a warning, not a failure.
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stderr.contains("tandem: warning: \(record): does not open"), "\(list.stderr)")
        let row = try #require(list.stdout.split(separator: "\n").first { $0.contains(phoneID) }, "\(list.stdout)")
        #expect(row.contains("damaged record"), "\(row)")

        let json = try cli.run(["device", "list", "--json"])
        #expect(json.status == 0)
        let rows = try #require(try json.json() as? [JSONObject])
        let phone = try #require(rows.first { $0["id"] as? String == phoneID })
        let damaged = try #require(phone["damagedRecord"] as? JSONObject)
        #expect(damaged["path"] as? String == record)
        #expect((damaged["reason"] as? String)?.contains("does not open") == true)
    }

    @Test func statusNamesTheDamagedRecord() throws {
        let (cli, _, record) = try world()
        let status = try cli.run(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stderr.contains("tandem: warning: \(record): does not open"), "\(status.stderr)")
        #expect(status.stdout.contains("1 device record is damaged"), "\(status.stdout)")

        let json = try cli.run(["status", "--json"])
        let problems = try #require((try json.json() as? JSONObject)?["problems"] as? [JSONObject])
        #expect(problems.map { $0["path"] as? String } == [record])
        #expect((problems.first?["message"] as? String)?.contains("does not open") == true)
    }
}
