import Foundation
import Testing

/// A byte flipped inside an object of a pack whose table is intact: the
/// object is named, never reused by a later backup, and `tandem check` says
/// which snapshots it touches.
@Suite struct DamageCLITests {
    /// A folder of one small file, snapshotted once; returns the snapshot id
    /// and the path of the pack, whose only object has one byte flipped.
    private func damagedSnapshot(_ cli: CLI) throws -> (id: String, pack: String, source: URL) {
        try cli.setUp(devices: ["laptop"])
        let source = cli.root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        try random.readData(ofLength: 5000).write(to: source.appendingPathComponent("one.bin"))
        let id = try #require((try cli.json("snapshot", "create", source.path) as? JSONObject)?["snapshotID"] as? String)
        let packs = cli.vault.appendingPathComponent("packs")
        let names = (FileManager.default.enumerator(atPath: packs.path)?.allObjects as? [String] ?? []).filter { $0.count == 67 }
        #expect(names.count == 1)
        let pack = packs.appendingPathComponent(try #require(names.first)).path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: pack))
        // The pack's one object comes first: a byte inside it, not in the table.
        bytes[40] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: pack))
        return (id, pack, source)
    }

    @Test func aFullBackupWritesADamagedObjectAgain() throws {
        let cli = CLI()
        let (first, pack, source) = try damagedSnapshot(cli)
        let full = try #require(try cli.json("snapshot", "create", source.path, "--full") as? JSONObject)
        #expect(full["status"] as? Int == 0)
        #expect((full["bytesWritten"] as? Int ?? 0) > 0, "the damaged object was reused: \(full)")
        let second = try #require(full["snapshotID"] as? String)
        #expect(try cli.run(["snapshot", "verify", second, "--read-data"]).status == 0)
        let target = cli.root.appendingPathComponent("restored")
        #expect(try cli.run(["snapshot", "restore", second, target.path]).status == 0)
        #expect(try Data(contentsOf: target.appendingPathComponent("one.bin")) == Data(contentsOf: source.appendingPathComponent("one.bin")))
        // The old snapshot reads the good copy now; the damaged one stays named by check.
        #expect(try cli.run(["snapshot", "verify", first, "--read-data"]).status == 0)
        let check = try cli.run(["check", "--read-data"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(FileManager.default.fileExists(atPath: pack), "the damaged copy stays until a prune")
    }

    @Test func damageFoundByVerifyIsNotTrustedByTheNextIncrementalBackup() throws {
        let cli = CLI()
        let (first, pack, source) = try damagedSnapshot(cli)
        let verify = try cli.run(["snapshot", "verify", first, "--read-data"])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains(pack), "\(verify.stderr)")
        #expect(verify.stderr.contains("touches snapshot \(first)"), "\(verify.stderr)")

        let check = try cli.run(["check", "--read-data"])
        #expect(check.status == 1)
        #expect(check.stdout.contains(pack) && check.stdout.contains(first) && check.stdout.contains("one.bin"), "\(check.stdout)")
        let json = try #require(try cli.run(["check", "--json"]).json() as? JSONObject)
        let findings = try #require(json["findings"] as? [JSONObject])
        #expect(findings.contains { ($0["path"] as? String) == pack && (($0["snapshots"] as? [String]) ?? []).contains(first) }, "\(json)")

        // An incremental backup of the unchanged folder: the recorded damage is not trusted.
        let next = try #require(try cli.json("snapshot", "create", source.path) as? JSONObject)
        #expect((next["bytesWritten"] as? Int ?? 0) > 0, "the damaged object was reused: \(next)")
        let second = try #require(next["snapshotID"] as? String)
        #expect(try cli.run(["snapshot", "verify", second, "--read-data"]).status == 0)
        #expect(try cli.run(["snapshot", "verify", first, "--read-data"]).status == 0, "the old snapshot reads the new copy")
        #expect(try cli.run(["check", "--read-data"]).status == 0)

        // Prune drops the damaged copy rather than carry it into a new pack.
        let condemned = try #require(try cli.json("snapshot", "forget", "--keep-last", "5", "--prune", "--grace", "0") as? JSONObject)
        #expect(condemned["objectsCondemned"] as? Int == 1 && condemned["packsCondemned"] as? Int == 1, "\(condemned)")
        #expect(FileManager.default.fileExists(atPath: pack), "a pack was removed by the prune that condemned it")
        let pruned = try #require(try cli.json("snapshot", "prune", "--grace", "0") as? JSONObject)
        #expect(pruned["objectsRemoved"] as? Int == 1 && pruned["packsRemoved"] as? Int == 1, "\(pruned)")
        #expect(!FileManager.default.fileExists(atPath: pack))
        #expect(try cli.run(["check", "--read-data"]).status == 0)
        #expect(try cli.run(["snapshot", "verify", first, "--read-data"]).status == 0)
    }

    @Test func checkOfAVaultWithoutDamageSaysSo() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let out = try cli.ok("check")
        #expect(out.hasPrefix("no damage found; every chunk is there (--read-data also opens each)\n"), "\(out)")
        #expect(out.contains("checked 0 logs (0 segments, 0 checkpoints), 1 device records, 1 key files, 0 snapshots, 0 packs, 0 chunks"), "\(out)")
        let json = try #require(try cli.json("check") as? JSONObject)
        #expect((json["findings"] as? [Any])?.isEmpty == true && (json["checked"] as? JSONObject)?["keyFiles"] as? Int == 1, "\(json)")
        #expect((try cli.json("check") as? JSONObject)?["findings"] as? [Any] != nil)
    }
}
