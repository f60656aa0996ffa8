import Foundation
import Testing

/// A device store restored from an older copy, a store copied to a second
/// home, a vault folder restored from an older copy, and bad files in a
/// device's own log: every write survives, and every device converges.
/// Real stores, a real vault folder, copies made with `cp -a`, the built binary.
@Suite struct StoreIdentityTests {
    func value(_ cli: CLI, _ device: String, _ key: String, home: URL? = nil) throws -> String? {
        let result = try cli.run(["get", "c", key, "--device", device, "--compact"], environment: home.map { ["TANDEM_HOME": $0.path] } ?? [:])
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .newlines) : nil
    }

    func deviceID(_ cli: CLI, _ device: String, home: URL? = nil) throws -> String {
        let result = try cli.run(["status", "--device", device, "--json"], environment: home.map { ["TANDEM_HOME": $0.path] } ?? [:])
        return try #require((try result.json() as? JSONObject)?["id"] as? String)
    }

    func count(_ cli: CLI, _ device: String, _ command: String..., home: URL? = nil) throws -> Int {
        let result = try cli.run(command + ["--device", device, "--json"], environment: home.map { ["TANDEM_HOME": $0.path] } ?? [:])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try result.json() as? [Any]).count
    }

    func copy(_ from: URL, to: URL) throws {
        try? FileManager.default.removeItem(at: to)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/cp")
        process.arguments = ["-a", from.path, to.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    func segment(_ cli: CLI, _ device: String, _ seq: Int) throws -> URL {
        let id = try deviceID(cli, device)
        return cli.vault.appendingPathComponent("log/\(id)/" + String(format: "%012d.seg", seq))
    }

    // MARK: A store restored from an older copy

    /// a wrote k1 = v1, which b read; a's store was copied aside; a then
    /// wrote k2 = x and k1 = v2 and pushed them; the copy was put back.
    func restoredFromLastWeek() throws -> CLI {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "k1", #""v1""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        let store = cli.home.appendingPathComponent("devices/a")
        let saved = cli.root.appendingPathComponent("a-last-week")
        try copy(store, to: saved)
        try cli.ok("put", "c", "k2", #""x""#, "--device", "a", "--sync")
        try cli.ok("put", "c", "k1", #""v2""#, "--device", "a", "--sync")
        try copy(saved, to: store)
        return cli
    }

    @Test func storeRestoredFromAnOlderCopyAdoptsItsLaterHistory() throws {
        let cli = try restoredFromLastWeek()

        try cli.ok("sync", "--device", "a")
        #expect(try value(cli, "a", "k1") == #""v2""#, "the restored store takes back its own later writes")
        #expect(try value(cli, "a", "k2") == #""x""#)
        #expect(try count(cli, "a", "incoming") == 0, "its own writes are not offered to it for review")
        try cli.ok("put", "c", "k1", #""v3-after-restore""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        #expect(try value(cli, "b", "k1") == #""v3-after-restore""#, "the write after the restore supersedes v2 everywhere")
        #expect(try value(cli, "a", "k1") == #""v3-after-restore""#)
        #expect(try count(cli, "b", "conflicts") == 0)
    }

    @Test func storeRestoredFromAnOlderCopyThatWritesBeforeItSyncsLosesNothing() throws {
        let cli = try restoredFromLastWeek()

        // Written on the restored store before it has seen the vault: its
        // write counter would reuse the numbers of k2 and of v2.
        try cli.ok("put", "c", "k1", #""v3-after-restore""#, "--device", "a")
        try cli.ok("put", "c", "k3", #""new""#, "--device", "a")
        let first = try cli.run(["sync", "--device", "a"])
        #expect(first.status == 0, "\(first.stderr)")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        try cli.ok("sync", "--device", "a")
        // v2 and v3 never saw each other: a conflict, on both devices, not a silent overwrite.
        #expect(try count(cli, "a", "conflicts") == 1)
        #expect(try count(cli, "b", "conflicts") == 1)
        #expect(try value(cli, "b", "k3") == #""new""#)
        #expect(try value(cli, "b", "k2") == #""x""#)
        try cli.ok("resolve", "c", "k1", "--keep", "local", "--device", "a")
        try cli.ok("sync", "--device", "a")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        #expect(try value(cli, "b", "k1") == #""v3-after-restore""#)
        #expect(try count(cli, "b", "conflicts") == 0)
    }

    // MARK: A store copied to a second home

    @Test func clonedStoreContinuesAsANewDeviceAndLosesNothing() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "k1", #""v1""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        let clone = cli.root.appendingPathComponent("home-clone")
        try copy(cli.home, to: clone)

        try cli.ok("put", "c", "k1", #""original""#, "--device", "a", "--sync")
        let cloned = try cli.run(["put", "c", "k1", #""clone""#, "--device", "a", "--sync"], environment: ["TANDEM_HOME": clone.path])
        #expect(cloned.status == 0, "\(cloned.stderr)")
        try cli.ok("sync", "--device", "a")
        _ = try cli.run(["sync", "--device", "a"], environment: ["TANDEM_HOME": clone.path])
        try cli.ok("sync", "--device", "b", "--policy", "accept")

        #expect(try deviceID(cli, "a") != (try deviceID(cli, "a", home: clone)), "the copy writes under an id of its own")
        let status = try cli.run(["status", "--device", "a"], environment: ["TANDEM_HOME": clone.path])
        #expect(status.stdout.contains("copy of"), "status says which device it was copied from: \(status.stdout)")
        #expect(status.stdout.contains("device   a-2 "), "the copy takes a name of its own: \(status.stdout)")
        let names = try cli.run(["device", "list", "--device", "b", "--json"]).stdout
        #expect(names.contains("\"a-2\""), "\(names)")
        // Both writes reach b: they never saw each other.
        #expect(try count(cli, "b", "conflicts") == 1)
        let conflicts = try cli.run(["conflicts", "--device", "b", "--json"])
        #expect(conflicts.stdout.contains("original") && conflicts.stdout.contains("clone"), "\(conflicts.stdout)")
        #expect(try count(cli, "a", "conflicts") == 1)
        #expect(try count(cli, "a", "conflicts", home: clone) == 1)
    }

    // MARK: A vault folder restored from an older copy

    @Test func vaultRestoredFromAnOlderCopyIsHealedByTheDevicesThatWroteIt() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "k1", #""v1""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        let saved = cli.root.appendingPathComponent("vault-old")
        try copy(cli.vault, to: saved)
        try cli.ok("put", "c", "k2", #""x""#, "--device", "a", "--sync")
        try cli.ok("put", "c", "k3", #""y""#, "--device", "a", "--sync")
        try copy(saved, to: cli.vault)

        let healing = try cli.run(["put", "c", "k4", #""z""#, "--device", "a", "--sync"])
        #expect(healing.status == 0 && healing.stderr.contains("republished the latest version of its 3 entries"), "\(healing.stderr)")
        let pulled = try cli.run(["sync", "--device", "b", "--policy", "accept"])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        for (key, expected) in [("k1", "v1"), ("k2", "x"), ("k3", "y"), ("k4", "z")] {
            #expect(try value(cli, "b", key) == "\"\(expected)\"", "b has \(key)")
        }
    }

    @Test func readerThatReadFurtherThanARestoredVaultResumes() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "k1", #""v1""#, "--device", "a", "--sync")
        let saved = cli.root.appendingPathComponent("vault-old")
        try copy(cli.vault, to: saved)
        try cli.ok("put", "c", "k2", #""x""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        try copy(saved, to: cli.vault)

        try cli.ok("put", "c", "k3", #""y""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        #expect(try value(cli, "b", "k3") == #""y""#)
        try cli.ok("put", "c", "k4", #""z""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        #expect(try value(cli, "b", "k4") == #""z""#)
    }

    @Test func deletedMiddleSegmentIsReportedThenRepublished() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "k1", #""v1""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        try cli.ok("put", "c", "k2", #""x""#, "--device", "a", "--sync")
        try cli.ok("put", "c", "k3", #""y""#, "--device", "a", "--sync")
        try FileManager.default.removeItem(at: try segment(cli, "a", 2))

        let waiting = try cli.run(["sync", "--device", "b", "--policy", "accept"])
        #expect(waiting.status == 1, "a missing segment is not silent")
        #expect(waiting.stderr.contains("missing"), "\(waiting.stderr)")
        let status = try cli.run(["status", "--device", "b"])
        #expect(status.stdout.contains("missing"), "\(status.stdout)")
        let check = try cli.run(["check", "--device", "b"])
        #expect(check.status == 1 && check.stdout.contains("segment 2 is missing"), "\(check.stdout)")

        try cli.ok("sync", "--device", "a")
        let healed = try cli.run(["sync", "--device", "b", "--policy", "accept"])
        #expect(healed.status == 0, "\(healed.stderr)")
        #expect(try value(cli, "b", "k2") == #""x""#)
        #expect(try value(cli, "b", "k3") == #""y""#)
        #expect(!(try cli.run(["status", "--device", "b"]).stdout.contains("missing")))
        let checked = try cli.run(["check", "--device", "b"])
        #expect(checked.status == 0, "the restatement covers the hole: \(checked.stdout)")
    }

    @Test func checkNamesADamagedDeviceRecordAndABadFileInALog() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "k1", #""v1""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b")
        #expect(try cli.run(["check", "--device", "b"]).status == 0)
        let record = cli.vault.appendingPathComponent("devices/\(try deviceID(cli, "a")).json")
        try Data("{ damaged".utf8).write(to: record)
        let bad = try segment(cli, "a", 2)
        try Data("not a segment".utf8).write(to: bad)
        let check = try cli.run(["check", "--device", "b"])
        #expect(check.status == 1)
        #expect(check.stdout.contains(record.path) && check.stdout.contains(bad.path), "\(check.stdout)")
    }

    // MARK: A bad file at a device's own next seq

    @Test(arguments: ["random bytes", "another device's segment", "an old segment replayed"])
    func badFileInItsOwnLogDoesNotBlockTheDevice(kind: String) throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "k1", #""v1""#, "--device", "a", "--sync")
        try cli.ok("put", "c", "from-b", #""b1""#, "--device", "b", "--sync")
        let target = try segment(cli, "a", 2)
        switch kind {
        case "random bytes": try Data((0..<300).map { _ in UInt8.random(in: 0...255) }).write(to: target)
        case "another device's segment": try FileManager.default.copyItem(at: try segment(cli, "b", 1), to: target)
        default: try FileManager.default.copyItem(at: try segment(cli, "a", 1), to: target)
        }

        // b reads a's log and meets the file first: it says so, and still pushes.
        let pushed = try cli.run(["put", "c", "from-b-2", #""b2""#, "--device", "b", "--sync"])
        #expect(pushed.status == 1 && pushed.stderr.contains(target.path), "\(pushed.stderr)")
        #expect(try count(cli, "b", "ls", "--state", "outgoing") == 0)
        try cli.ok("put", "c", "k2", #""v2""#, "--device", "a")
        let sync = try cli.run(["sync", "--device", "a", "--policy", "accept"])
        #expect(sync.status == 1, "the bad file is reported")
        #expect(sync.stderr.contains(target.path), "\(sync.stderr)")
        #expect(try value(cli, "a", "from-b-2") == #""b2""#, "a still pulls b")
        #expect(try count(cli, "a", "ls", "--state", "outgoing") == 0, "a pushes past the bad file")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        #expect(try value(cli, "b", "k2") == #""v2""#)
        try cli.ok("put", "c", "k3", #""v3""#, "--device", "a", "--sync")
        try cli.ok("sync", "--device", "b", "--policy", "accept")
        #expect(try value(cli, "b", "k3") == #""v3""#)
    }
}
