import Foundation
import Testing

/// A store that cannot be written (a read-only mount, a folder or file
/// without write permission) is read by the commands that only read; the
/// commands that write say it is read-only, naming it, and change nothing.
///
/// Root writes through permissions, so as root the tests take write access
/// away for real: with a read-only bind mount of the store's folder, and by
/// running the binary as another user.
@Suite(.serialized) struct ReadOnlyStoreTests {
    static var isRoot: Bool { getuid() == 0 }
    static let nobody: UInt32 = 65534
    static let setpriv = "/usr/bin/setpriv"

    /// Whether this process may bind-mount (root, outside a container that forbids it).
    static let canBindMount: Bool = {
        guard isRoot else { return false }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-mount-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: folder) }
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil,
              (try? system("/bin/mount", "--bind", folder.path, folder.path)) == 0 else { return false }
        _ = try? system("/bin/umount", folder.path)
        return true
    }()

    /// As root, permissions hold only for another user, which `setpriv` runs the binary as.
    static var canDropPermissions: Bool {
        !isRoot || FileManager.default.isExecutableFile(atPath: setpriv)
    }

    /// Runs a program and returns its exit status.
    @discardableResult
    static func system(_ arguments: String...) throws -> Int32 {
        try system(arguments)
    }

    static func system(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Whether a new file can be made in `folder` by the user the binary runs as.
    static func isWritable(_ folder: URL, launcher: [String]?) throws -> Bool {
        let probe = folder.appendingPathComponent("probe").path
        defer { try? FileManager.default.removeItem(atPath: probe) }
        return try system((launcher ?? []) + ["/usr/bin/touch", probe]) == 0
    }

    /// Device b holds an incoming change from a, a write of its own not yet
    /// pushed, and a snapshot source; its store folder is returned. With
    /// `leavingLog`, the last write stays in the write-ahead log, as when a
    /// process reading the store was killed.
    static func setUp(_ cli: CLI, leavingLog: Bool) throws -> (store: URL, source: URL) {
        try cli.setUp(devices: ["a", "b"])
        try cli.ok("put", "c", "from-a", #""v1""#, "--device", "a", "--sync")
        try cli.ok("put", "c", "mine", "1", "--device", "b")
        try cli.ok("sync", "--device", "b")
        let store = cli.home.appendingPathComponent("devices/b")
        let reader = leavingLog ? try Self.holdReader(store.appendingPathComponent("store.sqlite")) : nil
        try cli.ok("put", "c", "unpushed", "2", "--device", "b")
        if let reader {
            // Killed while it read: nobody folds the log into the file.
            kill(reader.processIdentifier, SIGKILL)
            reader.waitUntilExit()
            let log = try FileManager.default.attributesOfItem(atPath: store.appendingPathComponent("store.sqlite-wal").path)
            try #require((log[.size] as? Int ?? 0) > 0, "the write-ahead log is empty; the test would prove nothing")
        }
        let source = cli.root.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: source.appendingPathComponent("file"))
        return (store, source)
    }

    /// An sqlite3 process in a read transaction on `database`: while it
    /// reads, a writer that closes cannot fold the log into the file.
    static func holdReader(_ database: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("BEGIN;\nSELECT 'reading', count(*) FROM meta;\n".utf8))
        // Its answer says the read transaction has started.
        _ = output.fileHandleForReading.availableData
        return process
    }

    /// What a person does with a read-only store: reads work and show its
    /// data; writes are refused as read-only, naming the store, and change
    /// nothing in the vault or the home.
    static func story(_ cli: CLI, store: URL, source: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let storePath = store.appendingPathComponent("store.sqlite").path
        let before = cli.files()
        let reads: [[String]] = [
            ["ls"], ["ls", "--json"], ["get", "c", "mine"], ["status"], ["status", "--json"], ["incoming"], ["incoming", "--json"],
            ["conflicts"], ["log"], ["contexts"], ["device", "list"], ["snapshot", "list"], ["snapshot", "history"],
        ]
        for command in reads {
            let result = try cli.run(command + ["--device", "b"])
            #expect(result.status == 0, "\(command) on a read-only store: \(result.stderr)", sourceLocation: sourceLocation)
            #expect(!result.stderr.contains("damaged"), "\(command): \(result.stderr)", sourceLocation: sourceLocation)
        }
        #expect(try cli.run(["get", "c", "mine", "--device", "b", "--compact"]).stdout == "1\n", sourceLocation: sourceLocation)
        #expect(try cli.run(["ls", "--device", "b"]).stdout.contains("c/unpushed"), sourceLocation: sourceLocation)
        #expect(try cli.run(["incoming", "--device", "b"]).stdout.contains("c/from-a"), sourceLocation: sourceLocation)

        let writes: [[String]] = [
            ["put", "c", "new", "3"], ["put", "c", "new", "3", "--sync"], ["rm", "c", "mine"], ["sync"], ["accept", "--all"],
            ["refuse", "--all"], ["keep-mine", "--all"], ["wipe", "c"], ["undo"], ["lock"], ["unlock"],
            ["snapshot", "create", source.path],
        ]
        for command in writes {
            let result = try cli.run(command + ["--device", "b"])
            #expect(result.status != 0, "\(command) on a read-only store succeeded", sourceLocation: sourceLocation)
            #expect(result.stderr.contains("read-only") && result.stderr.contains(storePath), "\(command): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(!result.stderr.contains("damaged"), "\(command): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(command): \(result.stderr)", sourceLocation: sourceLocation)
        }
        let after = cli.files()
        // Device a's store is writable, and reading it may fold its write-ahead log into the file.
        let aside = cli.home.appendingPathComponent("devices/a").path
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] && !$0.hasPrefix(aside) }.sorted()
        #expect(changed.isEmpty, "commands changed \(changed)", sourceLocation: sourceLocation)
        // Device a still works, and never saw b's unpushed write.
        try cli.ok("sync", "--device", "a")
        #expect(try cli.run(["get", "c", "unpushed", "--device", "a"]).status == 1, sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: canBindMount, "a bind mount needs root and mount rights; the permissions test covers the rest"),
          arguments: [false, true])
    func aStoreOnAReadOnlyMountIsReadAndNeverWritten(leavingLog: Bool) throws {
        let cli = CLI()
        let (store, source) = try Self.setUp(cli, leavingLog: leavingLog)
        try #require(try Self.system("/bin/mount", "--bind", store.path, store.path) == 0, "mount --bind failed")
        defer {
            _ = try? Self.system("/bin/umount", store.path)
            withExtendedLifetime(cli) {}
        }
        try #require(try Self.system("/bin/mount", "-o", "remount,bind,ro", store.path) == 0, "remount read-only failed")
        try #require(try !Self.isWritable(store, launcher: nil), "the mount is not read-only; the test would prove nothing")
        try Self.story(cli, store: store, source: source)
    }

    @Test(.enabled(if: canDropPermissions, "as root, needs setpriv to run the binary as another user"), arguments: [false, true])
    func aStoreWithoutWritePermissionIsReadAndNeverWritten(leavingLog: Bool) throws {
        let cli = CLI()
        let (store, source) = try Self.setUp(cli, leavingLog: leavingLog)
        if Self.isRoot {
            // Root ignores permissions: the binary runs as nobody, owner of the files, as their owner would.
            try #require(try Self.system("/bin/chown", "-R", "\(Self.nobody):\(Self.nobody)", cli.root.path) == 0)
            cli.launcher = [Self.setpriv, "--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups"]
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: store.path).filter { $0.hasPrefix("store.sqlite") }
        for file in files { try Self.system("/bin/chmod", "a-w", store.appendingPathComponent(file).path) }
        try Self.system("/bin/chmod", "a-w", store.path)
        defer {
            _ = try? Self.system("/bin/chmod", "-R", "u+w", cli.root.path)
            withExtendedLifetime(cli) {}
        }
        try #require(try !Self.isWritable(store, launcher: cli.launcher), "the folder is still writable; the test would prove nothing")
        try Self.story(cli, store: store, source: source)
    }
}
