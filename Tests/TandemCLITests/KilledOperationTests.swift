import Foundation
import Testing

/// Backups and restores killed at a named step (the binary pauses there
/// under TANDEM_TEST_PAUSE_AT, and the test kills it): nothing committed is
/// hidden, no plaintext copy or half-written file stays, and the next run
/// finishes the job.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs sqlite3; .ci/run installs it"))
struct KilledOperationTests {
    private func sqlite(_ database: String, _ commands: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database] + commands
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func kill(_ cli: CLI, _ arguments: [String], at step: String, with signal: Int32 = SIGKILL,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        try KilledProcess.run(cli, arguments, pausingAt: step, signal: signal, sourceLocation: sourceLocation)
    }

    /// Every name under `folder`, recursively.
    private func everything(under folder: URL) -> [String] {
        FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []
    }

    /// A WAL database whose main file holds one row and whose log 50 more,
    /// committed; and a backup of it holding 7 rows.
    private func walDatabase(_ cli: CLI) throws -> (path: String, backup: String) {
        try cli.setUp(devices: ["laptop"])
        let database = cli.root.appendingPathComponent("app.sqlite").path
        _ = try sqlite(database, "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3), (4), (5), (6), (7);")
        let backup = try #require((try cli.json("db", "backup", database) as? JSONObject)?["snapshotID"] as? String)
        _ = try sqlite(database, "DELETE FROM t WHERE x > 1")
        _ = try sqlite(database, ".dbconfig no_ckpt_on_close on",
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO t SELECT 100 + i FROM n;")
        #expect(FileManager.default.fileExists(atPath: database + "-wal"), "the rows must be in the log for the test to mean anything")
        return (database, backup)
    }

    /// What SQLite sees in the database, read from a copy of its files (a
    /// read would otherwise checkpoint and tidy them).
    private func rows(_ cli: CLI, _ database: String) throws -> String {
        let copy = cli.root.appendingPathComponent("look-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            try FileManager.default.copyItem(atPath: database + suffix, toPath: copy.path + "/db" + suffix)
        }
        return try sqlite(copy.path + "/db", "SELECT count(*) FROM t")
    }

    private func leftovers(_ cli: CLI) -> [String] {
        everything(under: cli.root).filter { $0.contains(".tandem-restore-") || $0.contains("old-wal") }
    }

    @Test func aRestoreKilledAsItReplacesADatabaseHidesNoRowAndTheNextRunFinishesIt() throws {
        let cli = CLI()
        let (database, backup) = try walDatabase(cli)
        try kill(cli, ["db", "restore", backup, database, "--force"], at: "db-restore-rename-1")
        // The log was moved into the database first: the old database is whole.
        #expect(try rows(cli, database) == "51")
        try cli.ok("db", "age", database)
        #expect(try rows(cli, database) == "7", "the next run finishes the restore")
        #expect(leftovers(cli).isEmpty, "\(leftovers(cli))")
        #expect(try sqlite(database, "PRAGMA integrity_check") == "ok")
    }

    /// When the log cannot be emptied into the database (the app still has
    /// it open: here another process holds a read transaction), the journals
    /// move aside, and the restore is finished by the next run wherever it
    /// was killed.
    @Test(arguments: 1...3)
    func aRestoreKilledAtEachRenameIsFinishedByTheNextRun(rename: Int) throws {
        let cli = CLI()
        let (database, backup) = try walDatabase(cli)
        // It ends when a file appears: a child that outlived the test would
        // hold other tests' pipes open (it inherits them).
        let stop = cli.root.appendingPathComponent("stop").path
        let reader = try cli.spawnShell("""
            exec sqlite3 '\(database)' < <(echo 'BEGIN; SELECT count(*) FROM t;'; while [ ! -e '\(stop)' ]; do sleep 0.05; done)
            """)
        defer {
            _ = FileManager.default.createFile(atPath: stop, contents: nil)
            reader.waitUntilExit()
        }
        Thread.sleep(forTimeInterval: 0.5)
        try kill(cli, ["db", "restore", backup, database, "--force"], at: "db-restore-rename-\(rename)")
        #expect(!leftovers(cli).isEmpty, "killed before it began")
        #expect(try rows(cli, database) == "51", "no committed row is hidden, wherever it was killed")
        try cli.ok("db", "restore", backup, cli.root.appendingPathComponent("other.sqlite").path)
        #expect(try rows(cli, database) == "7", "the next run finishes the restore")
        #expect(leftovers(cli).isEmpty, "\(leftovers(cli))")
        #expect(!FileManager.default.fileExists(atPath: database + "-wal"), "the old log must not stay beside the new database")
        #expect(try sqlite(database, "PRAGMA integrity_check") == "ok")
    }

    @Test func aRestoreKilledBeforeItReplacedAnythingLeavesTheOldDatabase() throws {
        let cli = CLI()
        let (database, backup) = try walDatabase(cli)
        try kill(cli, ["db", "restore", backup, database, "--force"], at: "snapshot-restore-files-written")
        #expect(try rows(cli, database) == "51")
        try cli.ok("db", "age", database)
        #expect(try rows(cli, database) == "51", "a restore killed before its plan is undone, not finished")
        #expect(leftovers(cli).isEmpty, "\(leftovers(cli))")
        // Terminated there, it removes its copy itself.
        try kill(cli, ["db", "restore", backup, database, "--force"], at: "snapshot-restore-files-written", with: SIGTERM)
        #expect(leftovers(cli).isEmpty, "\(leftovers(cli))")
        #expect(try rows(cli, database) == "51")
    }

    @Test func aKilledDatabaseBackupLeavesNoPlaintextCopy() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let database = cli.root.appendingPathComponent("secret.sqlite").path
        _ = try sqlite(database, "CREATE TABLE t (x); INSERT INTO t VALUES ('plaintext');")
        func copies() -> [String] { everything(under: cli.home).filter { $0.hasSuffix("secret.sqlite") } }

        try kill(cli, ["db", "backup", database], at: "db-backup-copied", with: SIGTERM)
        #expect(copies().isEmpty, "a terminated backup left \(copies())")
        try kill(cli, ["db", "backup", database], at: "db-backup-copied", with: SIGINT)
        #expect(copies().isEmpty, "an interrupted backup left \(copies())")
        try kill(cli, ["db", "backup", database], at: "db-backup-copied")
        #expect(copies().count == 1, "the copy is where the next start finds it")
        try cli.ok("db", "backup", database)
        #expect(copies().isEmpty, "the next backup removes what a killed one left: \(copies())")
        try kill(cli, ["db", "backup", database], at: "db-backup-copied")
        #expect(copies().count == 1)
        try cli.ok("ls")
        #expect(copies().isEmpty, "any next start of the device removes it: \(copies())")
    }

    @Test func aKilledSnapshotRestoreLeavesNoHalfFileAndItsRerunSucceeds() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let source = cli.root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        for index in 0..<5 { try random.readData(ofLength: 100_000).write(to: source.appendingPathComponent("sub/file-\(index).bin")) }
        let id = try #require((try cli.json("snapshot", "create", source.path) as? JSONObject)?["snapshotID"] as? String)
        let target = cli.root.appendingPathComponent("restored")

        try kill(cli, ["snapshot", "restore", id, target.path], at: "snapshot-restore-files-written")
        #expect(everything(under: target).isEmpty, "files under their final names before the restore ended: \(everything(under: target))")
        try cli.ok("snapshot", "restore", id, target.path)
        #expect(everything(under: target).sorted() == ["sub"] + (0..<5).map { "sub/file-\($0).bin" })
        for index in 0..<5 {
            let name = "sub/file-\(index).bin"
            #expect(try Data(contentsOf: target.appendingPathComponent(name)) == Data(contentsOf: source.appendingPathComponent(name)))
        }
        #expect(!everything(under: cli.root).contains { $0.contains(".tandem-restore-") }, "\(everything(under: cli.root))")

        // Terminated or interrupted, it removes its own folder at once.
        let other = cli.root.appendingPathComponent("other")
        for signal in [SIGTERM, SIGINT] {
            try kill(cli, ["snapshot", "restore", id, other.path], at: "snapshot-restore-files-written", with: signal)
            #expect(!everything(under: cli.root).contains { $0.contains(".tandem-restore-") }, "\(everything(under: cli.root))")
            #expect(!FileManager.default.fileExists(atPath: other.path))
            #expect(everything(under: cli.home.appendingPathComponent("devices/laptop/scratch")).isEmpty)
        }

        // Into an empty folder that exists, killed, then any other restore or backup cleans up.
        let empty = cli.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try kill(cli, ["snapshot", "restore", id, empty.path], at: "snapshot-restore-files-written")
        #expect(everything(under: empty).isEmpty)
        try cli.ok("snapshot", "create", source.path)
        #expect(!everything(under: cli.root).contains { $0.contains(".tandem-restore-") }, "\(everything(under: cli.root))")
        #expect(everything(under: cli.home.appendingPathComponent("devices/laptop/scratch")).isEmpty)
    }
}
