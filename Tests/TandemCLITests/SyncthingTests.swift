import Foundation
import Testing

/// The vault on a real Syncthing folder shared by two machines on
/// 127.0.0.1: machine A holds laptop and desktop, machine B the phone. Each
/// machine runs the real binary on its own copy of the vault and its own
/// home; only Syncthing carries files between them.
@Suite(.serialized) struct SyncthingTests {
    /// Both machines, their copies of the vault, and the real Syncthing between them.
    final class Machines {
        let cli = CLI()
        let pair: SyncthingPair
        var vaultA: URL { cli.vault }
        let vaultB: URL
        let homeB: URL

        init() throws {
            vaultB = cli.root.appendingPathComponent("machine-b/vault")
            homeB = cli.root.appendingPathComponent("machine-b/home")
            try cli.ok("init", "--vault", cli.vault.path, "--owner", "alice", "--scrypt-log-n", "10")
            pair = try SyncthingPair(root: cli.root, folderA: cli.vault, folderB: vaultB)
            try pair.waitInSync()
            try cli.ok("device", "create", "laptop", "--vault", vaultA.path, "--remember-key")
            try cli.ok("device", "create", "desktop", "--vault", vaultA.path, "--remember-key")
            try pair.waitInSync()
            try onB("device", "create", "phone", "--vault", vaultB.path, "--remember-key")
            try pair.waitInSync()
        }

        /// `tandem ARGUMENTS` on machine A, as `device`.
        @discardableResult
        func onA(_ device: String, _ arguments: String..., status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let result = try cli.run(arguments + ["--device", device])
            #expect(result.status == status, "on A, \(device): tandem \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
            return result.stdout
        }

        /// `tandem ARGUMENTS` on machine B, whose only device is the phone.
        @discardableResult
        func onB(_ arguments: String..., status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            try onB(arguments, status: status, sourceLocation: sourceLocation)
        }

        @discardableResult
        func onB(_ arguments: [String], status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let result = try cli.run(arguments, environment: ["TANDEM_HOME": homeB.path])
            #expect(result.status == status, "on B: tandem \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
            return result.stdout
        }

        /// Every device's live entries, as (context/key → value): the same on all once they converged.
        func data() throws -> [[String: String]] {
            func entries(_ text: String) throws -> [String: String] {
                let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
                var result: [String: String] = [:]
                for row in rows {
                    guard let context = row["context"] as? String, let key = row["key"] as? String, let value = row["value"], !(value is NSNull) else { continue }
                    result["\(context)/\(key)"] = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]),
                                                         as: UTF8.self)
                }
                return result
            }
            return [try entries(onA("laptop", "ls", "--json")), try entries(onA("desktop", "ls", "--json")), try entries(onB("ls", "--json"))]
        }
    }

    private static var skip: String? {
        guard let reason = SyncthingPair.unavailable else { return nil }
        print("SyncthingTests skipped: \(reason)")
        return reason
    }

    /// The three-device story across the two machines: an insert reviewed on
    /// the phone, an edit, then the link cut while both machines edit the
    /// same entry; the conflict is resolved on the phone and reaches all.
    @Test(.enabled(if: skip == nil)) func theThreeDeviceStoryAcrossTwoMachines() throws {
        let machines = try Machines()
        try machines.onA("laptop", "put", "friends", "alice", #"{"name":"Alice","age":30}"#, "--sync")
        try machines.pair.waitInSync()
        try machines.onB("sync")
        #expect(try machines.onB("incoming").contains("friends/alice"))
        try machines.onB("accept", "--all", "--context", "friends")
        try machines.onB("sync")
        try machines.onA("desktop", "sync", "--policy", "accept")
        #expect(try machines.onA("desktop", "get", "friends", "alice", "--compact") == #"{"age":30,"name":"Alice"}"# + "\n")
        try machines.onB("put", "friends", "alice", #"{"name":"Alice","age":31}"#, "--sync")
        try machines.pair.waitInSync()
        try machines.onA("laptop", "sync", "--policy", "accept")
        #expect(try machines.onA("laptop", "get", "friends", "alice", "--compact") == #"{"age":31,"name":"Alice"}"# + "\n")

        // Offline: the machines cannot reach each other while both edit alice.
        try machines.pair.setConnected(false)
        try machines.onA("laptop", "put", "friends", "alice", #"{"name":"Alice","age":32}"#, "--sync")
        try machines.onB("put", "friends", "alice", #"{"name":"Alice","age":33}"#, "--sync")
        try machines.onA("desktop", "sync", "--policy", "accept")
        try machines.pair.setConnected(true)
        try machines.pair.waitInSync()
        try machines.onB("sync")
        #expect(try machines.onB("conflicts").contains("friends/alice"))
        try machines.onB("resolve", "friends", "alice", "--value", #"{"name":"Alice","age":34}"#)
        try machines.onB("sync")
        try machines.pair.waitInSync()
        for device in ["laptop", "desktop"] {
            try machines.onA(device, "sync", "--policy", "accept")
            #expect(try machines.onA(device, "get", "friends", "alice", "--compact") == #"{"age":34,"name":"Alice"}"# + "\n", "\(device)")
        }
        try machines.pair.waitInSync()
        let data = try machines.data()
        #expect(data[0] == data[1] && data[1] == data[2], "\(data)")
        #expect(machines.pair.conflictCopies().isEmpty, "Syncthing set files aside: \(machines.pair.conflictCopies())")
    }

    /// A snapshot of a folder and a backup of a live SQLite database, made
    /// on A, restored on B once Syncthing has carried them.
    @Test(.enabled(if: skip == nil)) func aSnapshotAndADatabaseBackupMadeOnARestoreOnB() throws {
        let machines = try Machines()
        let source = machines.cli.root.appendingPathComponent("machine-a/photos")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("2026"), withIntermediateDirectories: true)
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        try random.readData(ofLength: 3_000_000).write(to: source.appendingPathComponent("2026/big.jpg"))
        try Data("a note\n".utf8).write(to: source.appendingPathComponent("note.txt"))
        let database = machines.cli.root.appendingPathComponent("machine-a/messages.sqlite").path
        try SyncthingPair.run("/usr/bin/sqlite3", [database, "PRAGMA journal_mode=WAL; CREATE TABLE message (body TEXT);"
            + " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO message SELECT 'message ' || i FROM n;"])
        let folder = try #require(try JSONSerialization.jsonObject(with: Data(machines.onA("laptop", "snapshot", "create", source.path, "--json").utf8))
            as? [String: Any])["snapshotID"] as? String
        let backup = try #require(try JSONSerialization.jsonObject(with: Data(machines.onA("laptop", "db", "backup", database, "--json").utf8))
            as? [String: Any])["snapshotID"] as? String
        try machines.pair.waitInSync()

        let listing = try machines.onB("snapshot", "list")
        #expect(!listing.contains("not complete"), "\(listing)")
        let restored = machines.cli.root.appendingPathComponent("machine-b/photos")
        try machines.onB("snapshot", "restore", try #require(folder), restored.path)
        for path in ["2026/big.jpg", "note.txt"] {
            #expect(FileManager.default.contents(atPath: restored.appendingPathComponent(path).path)
                    == FileManager.default.contents(atPath: source.appendingPathComponent(path).path), "\(path)")
        }
        let copy = machines.cli.root.appendingPathComponent("machine-b/messages.sqlite").path
        try machines.onB("db", "restore", try #require(backup), copy)
        let query = "SELECT count(*), max(body) FROM message;"
        #expect(try SyncthingPair.run("/usr/bin/sqlite3", [copy, query]) == SyncthingPair.run("/usr/bin/sqlite3", [database, query]))
        try machines.onB("check", "--read-data")
    }

    /// Sixty seconds of writes by the three devices, each syncing as it
    /// goes, with Syncthing carrying files the whole time; then every device
    /// syncs until nothing moves, and all hold the same entries.
    @Test(.enabled(if: skip == nil)) func sixtySecondsOfWritesOnBothMachinesConverge() throws {
        let machines = try Machines()
        let binary = CLI.binary.path
        func writer(_ device: String, home: URL) throws -> Process {
            // Own keys and a few keys every device writes; every fourth step deletes one of its own.
            let script = """
                end=$((SECONDS + 60)); i=0
                while [ $SECONDS -lt $end ]; do
                  i=$((i + 1))
                  "$TANDEM" put stress \(device)-$((i % 40)) "{\\"n\\":$i}" --device \(device) >/dev/null 2>&1
                  "$TANDEM" put shared key-$((i % 5)) "{\\"by\\":\\"\(device)\\",\\"n\\":$i}" --device \(device) >/dev/null 2>&1
                  [ $((i % 4)) -eq 0 ] && "$TANDEM" rm stress \(device)-$(((i + 7) % 40)) --device \(device) >/dev/null 2>&1
                  "$TANDEM" sync --policy accept --device \(device) >/dev/null 2>&1
                done
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", script]
            var environment = ProcessInfo.processInfo.environment
            environment["TANDEM_HOME"] = home.path
            environment["TANDEM"] = binary
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let writers = [try writer("laptop", home: machines.cli.home), try writer("desktop", home: machines.cli.home),
                       try writer("phone", home: machines.homeB)]
        for process in writers { process.waitUntilExit() }

        // Sync every device until a whole round moves nothing and the copies agree.
        var rounds = 0
        while true {
            rounds += 1
            try machines.pair.waitInSync()
            var moved = false
            for (device, run) in [("laptop", { try machines.onA("laptop", "sync", "--policy", "accept", "--json") }),
                                  ("desktop", { try machines.onA("desktop", "sync", "--policy", "accept", "--json") }),
                                  ("phone", { try machines.onB("sync", "--policy", "accept", "--json") })] {
                let report = try #require(try JSONSerialization.jsonObject(with: Data(try run().utf8)) as? [String: Any], "\(device)")
                if (report["changesPulled"] as? Int ?? 0) + (report["changesPushed"] as? Int ?? 0) > 0 { moved = true }
            }
            if !moved { break }
            #expect(rounds < 10, "the devices still move changes after \(rounds) rounds")
            if rounds >= 10 { break }
        }
        let data = try machines.data()
        #expect(data[0].count > 40, "the stress wrote little: \(data[0].count) entries")
        #expect(data[0] == data[1] && data[1] == data[2], "the devices hold different entries after \(rounds) rounds")
        #expect(machines.pair.conflictCopies().isEmpty, "Syncthing set files aside: \(machines.pair.conflictCopies())")
        try machines.onA("laptop", "check")
    }
}
