import Foundation
import Testing

/// The three-device story, told through the built binary.
@Suite struct ThreeDeviceStoryTests {
    func entries(_ cli: CLI, _ device: String, _ command: String...) throws -> [JSONObject] {
        let result = try cli.run(command + ["--device", device, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try result.json() as? [JSONObject])
    }

    func state(_ cli: CLI, _ device: String, _ context: String, _ key: String) throws -> String? {
        try entries(cli, device, "ls", context).first { $0["key"] as? String == key }?["state"] as? String
    }

    /// A list row shows what this device has, and beside it the change that waits or was refused.
    @Test func aListRowShowsWhatThisDeviceHas() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        try cli.ok("put", "friends", "carol", #"{"name":"carol"}"#, "--device", "laptop", "--sync")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        try cli.ok("put", "friends", "carol", #"{"name":"carol2"}"#, "--device", "phone", "--sync")
        try cli.ok("sync", "--device", "laptop")
        let waiting = try cli.ok("ls", "--device", "laptop")
        #expect(waiting.contains(#"↓ friends/carol  incoming  {"name":"carol"}  (waits: edit {"name":"carol2"} from phone)"#), "\(waiting)")
        let id = try #require(try entries(cli, "laptop", "incoming").first?["id"] as? String)
        try cli.ok("refuse", id, "--device", "laptop")
        let refused = try cli.ok("ls", "--device", "laptop")
        #expect(refused.contains(#"⊘ friends/carol  refused   {"name":"carol"}  (refused edit {"name":"carol2"} from phone)"#), "\(refused)")
        #expect(try cli.ok("get", "friends", "carol", "--device", "laptop", "--compact") == #"{"name":"carol"}"# + "\n")

        // An insert this device never had says so, and a key with a space is quoted in every message.
        try cli.ok("put", "friends", "new friend", #"{"name":"dan"}"#, "--device", "phone", "--sync")
        try cli.ok("sync", "--device", "laptop")
        let insert = try cli.ok("ls", "--device", "laptop")
        #expect(insert.contains(#"↓ friends/"new friend"  incoming  (nothing here)  (waits: insert {"name":"dan"} from phone)"#), "\(insert)")
        let missing = try cli.run(["get", "friends", "no one", "--device", "laptop"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "tandem: error: no entry friends/\"no one\"\n", "\(missing.stderr)")
        let conflict = try cli.run(["resolve", "friends", "carol", "--keep", "local", "--device", "laptop"])
        #expect(conflict.stderr == "tandem: error: friends/carol is not in conflict\n", "\(conflict.stderr)")
    }

    @Test func createWriteSyncReviewAndResolve() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone", "tablet"])
        try cli.ok("put", "friends", "alice", #"{"name": "Alice", "age": 30}"#, "--device", "laptop")
        try cli.ok("put", "friends", "bob", "-", "--device", "phone", stdin: #"{"name":"Bob"}"#)
        let file = cli.root.appendingPathComponent("carol.json")
        try Data(#"{"name":"Carol"}"#.utf8).write(to: file)
        try cli.ok("put", "friends", "carol", "--file", file.path, "--device", "tablet")
        #expect(try state(cli, "laptop", "friends", "alice") == "outgoing")
        for device in ["laptop", "phone", "tablet", "laptop"] { try cli.ok("sync", "--device", device) }

        // Remote inserts wait for a decision on laptop.
        let incoming = try entries(cli, "laptop", "incoming")
        #expect(incoming.count == 2)
        #expect(Set(incoming.compactMap { $0["change"] as? String }) == ["insert"])
        let bob = try #require(incoming.first { $0["key"] as? String == "bob" })
        let carol = try #require(incoming.first { $0["key"] as? String == "carol" })
        let bobID = try #require(bob["id"] as? String)
        let carolID = try #require(carol["id"] as? String)
        let accepted = try #require(try cli.json("accept", bobID, "--device", "laptop") as? [JSONObject])
        #expect(accepted.first?["state"] as? String == "in-sync")
        try cli.ok("refuse", carolID, "--device", "laptop")
        #expect(try state(cli, "laptop", "friends", "bob") == "in-sync")
        #expect(try state(cli, "laptop", "friends", "carol") == "refused")
        #expect(try cli.ok("get", "friends", "bob", "--device", "laptop", "--compact") == "{\"name\":\"Bob\"}\n")
        try cli.ok("sync", "--device", "laptop")
        #expect(try entries(cli, "laptop", "incoming").isEmpty, "a refused change is not asked again")

        // An edit on phone reaches laptop as an edit; a deletion on tablet as a deletion.
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        try cli.ok("sync", "--device", "tablet", "--policy", "accept")
        try cli.ok("put", "friends", "bob", #"{"name":"Bob","age":41}"#, "--device", "phone", "--sync")
        try cli.ok("rm", "friends", "alice", "--device", "tablet", "--sync")
        try cli.ok("sync", "--device", "laptop")
        let changes = try entries(cli, "laptop", "incoming")
        #expect(changes.first { $0["key"] as? String == "bob" }?["change"] as? String == "edit")
        #expect(changes.first { $0["key"] as? String == "alice" }?["change"] as? String == "deletion")
        try cli.ok("accept", "--all", "--context", "friends", "--device", "laptop")
        let get = try cli.run(["get", "friends", "alice", "--device", "laptop"])
        #expect(get.status == 1)
        #expect(get.stderr.contains("friends/alice"))

        // Concurrent edits conflict on both sides; a resolution clears both.
        try cli.ok("sync", "--device", "laptop")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        try cli.ok("put", "friends", "bob", #"{"name":"Bob","age":42}"#, "--device", "laptop", "--sync")
        try cli.ok("put", "friends", "bob", #"{"name":"Robert","age":41}"#, "--device", "phone", "--sync")
        try cli.ok("sync", "--device", "laptop")
        let onLaptop = try entries(cli, "laptop", "conflicts")
        let onPhone = try entries(cli, "phone", "conflicts")
        #expect(onLaptop.map { $0["key"] as? String } == ["bob"])
        #expect(onPhone.map { $0["key"] as? String } == ["bob"])
        let human = try cli.ok("conflicts", "--device", "laptop")
        #expect(human.contains("phone"))
        #expect(human.contains("laptop (this device)"))
        try cli.ok("resolve", "friends", "bob", "--keep", "remote", "--from", "phone", "--device", "laptop")
        try cli.ok("sync", "--device", "laptop")
        try cli.ok("sync", "--device", "phone")
        // laptop took phone's value: phone is asked nothing, since nothing changes there.
        #expect(try entries(cli, "phone", "incoming").isEmpty)
        #expect(try state(cli, "phone", "friends", "bob") == "in-sync")
        #expect(try state(cli, "laptop", "friends", "bob") == "in-sync")
        #expect(try cli.ok("get", "friends", "bob", "--device", "phone", "--compact") == "{\"age\":41,\"name\":\"Robert\"}\n")

        let status = try #require(try cli.json("status", "--device", "laptop") as? JSONObject)
        #expect(status["online"] as? Bool == true)
        #expect((status["counts"] as? JSONObject)?["conflicts"] as? Int == 0)
        let devices = try #require(try cli.json("device", "list") as? [JSONObject])
        #expect(devices.compactMap { $0["name"] as? String }.sorted() == ["laptop", "phone", "tablet"])
        let log = try cli.ok("log", "--device", "laptop")
        #expect(log.contains("accept friends/alice"))
        let contexts = try #require(try cli.json("contexts", "--device", "laptop") as? [JSONObject])
        #expect(contexts.first?["name"] as? String == "friends")
    }

    @Test func offlineWritesQueueAndArriveOnTheNextSync() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        let away = cli.root.appendingPathComponent("unplugged")
        try FileManager.default.moveItem(at: cli.vault, to: away)
        try cli.ok("put", "notes", "n1", "1", "--device", "laptop")
        try cli.ok("put", "notes", "n2", "2", "--device", "laptop")
        let status = try cli.ok("status", "--device", "laptop")
        #expect(status.contains("offline"))
        #expect(status.contains("2 changes wait to be pushed"))
        let sync = try cli.run(["sync", "--device", "laptop"])
        #expect(sync.status == 0)
        #expect(sync.stdout.contains("offline"))
        try FileManager.default.moveItem(at: away, to: cli.vault)
        let report = try #require(try cli.json("sync", "--device", "laptop") as? JSONObject)
        #expect(report["changesPushed"] as? Int == 2)
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        #expect(try cli.ok("get", "notes", "n2", "--device", "phone", "--compact") == "2\n")
    }

    /// `tandem undo` takes back an accept, then has nothing left; a
    /// keep-mine that a sync published is not taken back.
    @Test func undoTakesBackWhatIsNotPublished() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        try cli.ok("put", "friends", "alice", #"{"age":30}"#, "--device", "phone", "--sync")
        try cli.ok("sync", "--device", "laptop")
        let id = try #require((try cli.json("incoming", "--device", "laptop") as? [JSONObject])?.first?["id"] as? String)
        try cli.ok("accept", id, "--device", "laptop")
        #expect(try cli.ok("undo", "--device", "laptop") == "undid accept: friends/alice → incoming\n")
        let none = try cli.run(["undo", "--device", "laptop"])
        #expect(none.status == 1 && none.stderr.contains("cannot undo: no decision taken on this device"), "\(none.stderr)")

        try cli.ok("keep-mine", id, "--device", "laptop")
        try cli.ok("sync", "--device", "laptop")
        let published = try cli.run(["undo", "--device", "laptop", "--json"])
        #expect(published.status == 1 && published.stderr.contains("a sync has published it"), "\(published.stderr)")
    }
}
