import Foundation
import Testing

/// Snapshots through the binary, with real processes: a database written
/// to by another process while it is backed up, and a backup killed half
/// way then run again.
@Suite struct SnapshotCLITests {
    private func sqlite(_ database: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database, sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs sqlite3; .ci/run installs it"))
    func aDatabaseUnderSteadyWritesIsBackedUpAtOnePointInTime() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        let database = cli.root.appendingPathComponent("messages.sqlite").path
        _ = try sqlite(database, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE message (id INTEGER PRIMARY KEY, batch INTEGER, body TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
            INSERT INTO message (batch, body) SELECT 0, printf('%0200d', i) FROM n;
            """)
        // Another process adds batches of 10 rows, one transaction each, all the while.
        // (It stops when a file appears: a signal to it does not reach it from a test process.)
        let stop = cli.root.appendingPathComponent("stop").path
        let writer = try cli.spawnShell("""
            i=0
            while [ ! -e '\(stop)' ]; do
              i=$((i + 1))
              sqlite3 '\(database)' "BEGIN; WITH RECURSIVE n(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM n WHERE j < 10) \
            INSERT INTO message (batch, body) SELECT $i, 'written during the backup' FROM n; COMMIT;" || exit 1
            done
            """)
        defer {
            _ = FileManager.default.createFile(atPath: stop, contents: nil)
            writer.waitUntilExit()
        }
        Thread.sleep(forTimeInterval: 0.3)
        let backup = try #require(try cli.json("db", "backup", database) as? JSONObject)
        #expect(backup["status"] as? Int == 0)
        let id = try #require(backup["snapshotID"] as? String)

        // Another device restores it: it opens, passes the integrity check, and holds whole batches only.
        let restored = cli.root.appendingPathComponent("restored.sqlite").path
        try cli.ok("db", "restore", id, restored, "--device", "phone")
        #expect(try sqlite(restored, "PRAGMA integrity_check") == "ok")
        let count = try #require(Int(try sqlite(restored, "SELECT count(*) FROM message")))
        let batches = try #require(Int(try sqlite(restored, "SELECT count(DISTINCT batch) - 1 FROM message")))
        #expect(count == 20000 + batches * 10, "\(count) rows in \(batches) batches: not one point in time")
        #expect(batches > 0, "the writer wrote nothing before the backup; the test proves nothing")

        let exists = try cli.run(["db", "restore", id, database])
        #expect(exists.status == 1)
        #expect(exists.stderr.contains("exists; pass --force"))
        let ages = try #require(try cli.json("db", "age", database) as? JSONObject)
        #expect((ages["backupAge"] as? Int ?? -1) >= 0)
        let none = try #require(try cli.json("db", "age", cli.root.appendingPathComponent("none.sqlite").path) as? JSONObject)
        #expect(none["backupAge"] as? Int == -1 && none["databaseAge"] as? Int == -1)
    }

    @Test func aKilledBackupLeavesNoSnapshotAndARerunReusesItsChunks() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let source = cli.root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        for index in 0..<400 { try random.readData(ofLength: 256 * 1024).write(to: source.appendingPathComponent("file-\(index).bin")) }
        let packs = cli.vault.appendingPathComponent("packs")
        func packCount() -> Int {
            (FileManager.default.enumerator(atPath: packs.path)?.allObjects as? [String] ?? []).filter { $0.count == 67 }.count
        }

        // 400 chunks of 256 KiB fill six 16 MiB packs and part of a seventh: kill after the first.
        let backup = try cli.spawnShell("exec \"$TANDEM\" snapshot create '\(source.path)' --concurrency 1")
        let deadline = Date().addingTimeInterval(60)
        while packCount() < 1, Date() < deadline, backup.isRunning { Thread.sleep(forTimeInterval: 0.005) }
        kill(backup.processIdentifier, SIGKILL)
        backup.waitUntilExit()
        let written = packCount()
        #expect(written >= 1 && written < 7, "killed after \(written) of 7 packs")
        #expect((try cli.json("snapshot", "list") as? [Any])?.isEmpty == true, "a killed backup left a snapshot")

        let rerun = try #require(try cli.json("snapshot", "create", source.path) as? JSONObject)
        #expect(rerun["status"] as? Int == 0)
        let reused = rerun["chunksReused"] as? Int ?? 0, added = rerun["chunksWritten"] as? Int ?? 0
        #expect(reused >= written * 63, "\(written) whole packs written before the kill, but \(rerun)")
        #expect(reused + added == 400, "\(rerun)")
        let id = try #require(rerun["snapshotID"] as? String)
        #expect(try cli.run(["snapshot", "verify", id, "--read-data"]).status == 0)
        let history = try #require(try cli.json("snapshot", "history") as? [JSONObject])
        #expect(history.map { $0["status"] as? String } == ["completed", "failed"], "\(history)")
        #expect(history.last?["message"] as? String == "interrupted")
        #expect((try cli.json("snapshot", "list") as? [Any])?.count == 1)
        let missing = try cli.run(["snapshot", "restore", "0123456789abcdef", cli.root.appendingPathComponent("out").path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no snapshot '0123456789abcdef'"))
    }
}

extension SnapshotCLITests {
    /// A snapshot that cannot start still answers --json with a result
    /// (status 2, the error as its message), exits 1, and is in the history.
    @Test func aFailedSnapshotIsAJSONResultToo() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let missing = cli.root.appendingPathComponent("no such folder").path
        let failed = try cli.run(["snapshot", "create", missing, "--json"])
        #expect(failed.status == 1)
        let result = try #require(try failed.json() as? JSONObject, "\(failed.stdout)")
        #expect(result["status"] as? Int == 2)
        #expect((result["message"] as? String)?.contains(missing) == true, "\(result)")
        #expect(failed.stderr.contains(missing))
        let history = try #require(try cli.json("snapshot", "history") as? [JSONObject])
        #expect(history.first?["status"] as? String == "failed")
        let restore = try cli.run(["snapshot", "restore", "0123456789abcdef", cli.root.appendingPathComponent("out").path, "--json"])
        #expect(restore.status == 1)
        #expect((try restore.json() as? JSONObject)?["status"] as? Int == 2)
    }

    /// A snapshot listed before its packs arrived (a synced folder still
    /// copying): `snapshot list` says so, a restore says how many chunks
    /// are missing and writes nothing, and the rerun into the same folder works.
    @Test func aSnapshotWhosePacksHaveNotArrivedSaysSoAndARerunWorks() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let source = cli.root.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: source.appendingPathComponent("notes.txt"))
        let id = try #require((try cli.json("snapshot", "create", source.path) as? JSONObject)?["snapshotID"] as? String)
        let packs = cli.vault.appendingPathComponent("packs")
        let away = cli.root.appendingPathComponent("packs-in-transit")
        try FileManager.default.moveItem(at: packs, to: away)
        try FileManager.default.createDirectory(at: packs, withIntermediateDirectories: true)

        #expect(try cli.ok("snapshot", "list").contains("not complete here: 1 chunks not arrived yet"))
        let listed = try #require(try cli.json("snapshot", "list") as? [JSONObject])
        #expect(listed.first?["complete"] as? Bool == false)
        #expect(listed.first?["missingChunks"] as? Int == 1)
        let target = cli.root.appendingPathComponent("out")
        let refused = try cli.run(["snapshot", "restore", id, target.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("1 of the 1 chunks it needs are in no pack here") && refused.stderr.contains("may still be replicating"),
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        let json = try cli.run(["snapshot", "restore", id, target.path, "--json"])
        #expect((try json.json() as? JSONObject)?["status"] as? Int == 2)
        // verify says the same: not arrived, not damaged.
        let verified = try #require(try cli.run(["snapshot", "verify", id, "--json"]).json() as? JSONObject)
        let message = verified["message"] as? String ?? ""
        #expect(verified["status"] as? Int == 2 && message.contains("1 chunks in no pack here") && message.contains("may still be replicating")
                && !message.contains("damaged"), "\(verified)")

        try FileManager.default.removeItem(at: packs)
        try FileManager.default.moveItem(at: away, to: packs)
        #expect(try cli.run(["snapshot", "restore", id, target.path]).status == 0)
        #expect(try String(contentsOf: target.appendingPathComponent("notes.txt"), encoding: .utf8) == "notes")
        #expect(try !cli.ok("snapshot", "list").contains("not complete"))
    }

    /// forget --prune leaves young packs alone; with --grace 0 it condemns
    /// the pack that holds what no snapshot needs, the dry run saying exactly
    /// that first, and the next prune rewrites it; what is kept still restores.
    @Test func forgetThenPruneKeepsWhatIsNeeded() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let source = cli.root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        for index in 0..<6 { try random.readData(ofLength: 300_000).write(to: source.appendingPathComponent("file-\(index).bin")) }
        _ = try cli.json("snapshot", "create", source.path)
        for index in 0..<3 { try FileManager.default.removeItem(at: source.appendingPathComponent("file-\(index).bin")) }
        let kept = try #require((try cli.json("snapshot", "create", source.path) as? JSONObject)?["snapshotID"] as? String)

        // The dry run counts the snapshot it would forget as gone, as the real run does.
        let dry = try #require(try cli.json("snapshot", "forget", "--keep-last", "1", "--prune", "--grace", "0", "--dry-run") as? JSONObject)
        #expect((dry["forgotten"] as? [Any])?.count == 1 && dry["packsCondemned"] as? Int == 1 && dry["objectsCondemned"] as? Int == 3, "\(dry)")
        #expect((try cli.json("snapshot", "list") as? [Any])?.count == 2, "a dry run forgot a snapshot")
        let young = try #require(try cli.json("snapshot", "forget", "--keep-last", "1", "--prune") as? JSONObject)
        #expect((young["forgotten"] as? [Any])?.count == 1)
        #expect(young["objectsRemoved"] as? Int == 0 && young["objectsSpared"] as? Int == 3, "\(young)")
        let condemned = try #require(try cli.json("snapshot", "forget", "--keep-last", "1", "--prune", "--grace", "0") as? JSONObject)
        #expect(condemned["objectsRemoved"] as? Int == 0 && condemned["packsCondemned"] as? Int == 1 && condemned["objectsCondemned"] as? Int == 3,
                "\(condemned)")
        #expect(dry["dryRun"] as? Bool == true && condemned["bytesCondemned"] as? Int == dry["bytesCondemned"] as? Int, "\(condemned)")
        #expect((condemned["bytesCondemned"] as? Int ?? 0) > 900_000, "\(condemned)")
        let dryRemoval = try #require(try cli.json("snapshot", "prune", "--grace", "0", "--dry-run") as? JSONObject)
        let pruned = try #require(try cli.json("snapshot", "prune", "--grace", "0") as? JSONObject)
        for report in [dryRemoval, pruned] {
            #expect(report["objectsRemoved"] as? Int == 3 && report["packsRewritten"] as? Int == 1 && report["packsCondemned"] as? Int == 0,
                    "\(report)")
        }
        #expect(try cli.run(["snapshot", "verify", kept, "--read-data"]).status == 0)
        let target = cli.root.appendingPathComponent("restored")
        #expect(try cli.run(["snapshot", "restore", kept, target.path]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).sorted() == ["file-3.bin", "file-4.bin", "file-5.bin"])
        #expect(try cli.run(["snapshot", "forget", "--keep-last", "1", "--prune", "--grace", "-1"]).status == 2)
    }
}

/// The snapshots screen of the real binary: a folder backed up from the UI,
/// watched to its end, and listed.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct SnapshotScreenTmuxTests {
    @Test func aFolderIsBackedUpFromTheUI() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let folder = cli.root.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for index in 0..<20 { try Data(String(repeating: "photo \(index) ", count: 5000).utf8).write(to: folder.appendingPathComponent("p\(index).txt")) }
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path])
        tui.waitFor("1 Entries")
        try tui.press("7")
        tui.waitFor("no snapshots yet")
        try tui.press("n")
        tui.waitFor("snapshot of folder")
        try tui.press("-l", folder.path)
        try tui.press("Enter")
        tui.waitFor("completed · 20 files")
        tui.waitFor("Snapshots (1)")
        #expect(tui.line(containing: "folder   laptop")?.contains("20     830.1 KiB  photos · /tmp/") == true, "\(tui.screen)")
        try tui.quit()
        let list = try #require(try cli.json("snapshot", "list") as? [JSONObject])
        #expect(list.count == 1)
    }
}
