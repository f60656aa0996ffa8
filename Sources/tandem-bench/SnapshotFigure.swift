#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB
import TandemCore

/// Snapshots against restic, and `tandem db backup` against sqlite3's
/// `.backup`, on the same generated data in the same run.
extension Bench {
    static func snapshotFigure() async throws {
        guard let restic = which("restic") else {
            print("snapshots: restic is not installed (apt-get install restic); skipped")
            return
        }
        let folder = scratch("snapshots")
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("corpus")
        let megabytes = Int(ProcessInfo.processInfo.environment["TANDEM_BENCH_CORPUS_MB"] ?? "") ?? 500
        let changed = try Corpus.generate(at: corpus, megabytes: megabytes)
        print("snapshots: a generated corpus of \(megabytes) MB (\(changed.files) files: media, text, many small files); restic \(version(restic))")

        // Tandem: an encrypted vault, as `tandem init` makes it; the device remembers the key.
        let home = DeviceHome(root: folder.appendingPathComponent("home"))
        let vaultURL = folder.appendingPathComponent("vault")
        try Vault.create(at: vaultURL, owner: "bench", protection: .passphrase(VaultGenerator.passphrase))
        let store = try home.createDevice(name: "bench", vaultPath: vaultURL, credential: .passphrase(VaultGenerator.passphrase))
        let repository = folder.appendingPathComponent("restic").path
        let environment = ["RESTIC_PASSWORD": VaultGenerator.passphrase, "RESTIC_CACHE_DIR": folder.appendingPathComponent("restic-cache").path]
        _ = try run(restic, ["-r", repository, "init", "-q"], environment: environment)

        sync()
        let tandemFirst = try syncSeconds { _ = try SnapshotService(store).createSnapshot(of: corpus.path) }
        sync()
        let resticFirst = try syncSeconds { _ = try run(restic, ["-r", repository, "backup", "-q", corpus.path], environment: environment) }
        let tandemSize = try size(of: vaultURL.path), resticSize = try size(of: repository)

        try changed.changeOnePercent()
        sync()
        var second = SnapshotResultBox()
        let tandemSecond = try syncSeconds { second.result = try SnapshotService(store).createSnapshot(of: corpus.path) }
        sync()
        let resticSecond = try syncSeconds { _ = try run(restic, ["-r", repository, "backup", "-q", corpus.path], environment: environment) }
        let tandemGrowth = try size(of: vaultURL.path) - tandemSize, resticGrowth = try size(of: repository) - resticSize

        let latest = try require(second.result?.snapshotID)
        sync()
        let tandemRestore = try syncSeconds { _ = try SnapshotService(store).restoreSnapshot(latest, to: folder.appendingPathComponent("restored-tandem").path) }
        sync()
        let resticRestore = try syncSeconds {
            _ = try run(restic, ["-r", repository, "restore", "latest", "-q", "--target", folder.appendingPathComponent("restored-restic").path],
                        environment: environment)
        }

        // Peak memory of a first snapshot, each in a process of its own, into a new vault and repository.
        let memoryVault = folder.appendingPathComponent("memory-vault"), memoryHome = folder.appendingPathComponent("memory-home")
        try Vault.create(at: memoryVault, owner: "bench", protection: .passphrase(VaultGenerator.passphrase))
        _ = try DeviceHome(root: memoryHome).createDevice(name: "bench", vaultPath: memoryVault, credential: .passphrase(VaultGenerator.passphrase),
                                                          remember: true)
        let tandemPeak = try Measure.child(["snapshot-child", memoryVault.path, memoryHome.path, corpus.path])["peakMB"] ?? 0
        // The same through the command a person runs, into a vault of its own.
        let commandVault = folder.appendingPathComponent("command-vault"), commandHome = folder.appendingPathComponent("command-home")
        try Vault.create(at: commandVault, owner: "bench", protection: .passphrase(VaultGenerator.passphrase))
        _ = try DeviceHome(root: commandHome).createDevice(name: "bench", vaultPath: commandVault, credential: .passphrase(VaultGenerator.passphrase),
                                                           remember: true)
        let tandemBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tandem")
        let commandPeak = FileManager.default.isExecutableFile(atPath: tandemBinary.path)
            ? try Measure.child(["measure-child", tandemBinary.path, "snapshot", "create", corpus.path, "--home", commandHome.path])["peakMB"] : nil
        let memoryRepository = folder.appendingPathComponent("memory-restic").path
        _ = try run(restic, ["-r", memoryRepository, "init", "-q"], environment: environment)
        let resticPeak = try Measure.child(["measure-child", restic, "-r", memoryRepository, "backup", "-q", corpus.path],
                                           environment: environment)["peakMB"] ?? 0

        func line(_ label: String, _ tandem: Double, _ restic: Double, unit: String, target: String) {
            print(String(format: "  %@ tandem %8.2f %@   restic %8.2f %@   ratio %.3f×  (%@)", label.padding(toLength: 34, withPad: " ", startingAt: 0),
                         tandem, unit, restic, unit, tandem / restic, target))
        }
        line("first snapshot", tandemFirst, resticFirst, unit: "s ", target: "target ≤ 1×")
        line("vault size after it", Double(tandemSize) / 1e6, Double(resticSize) / 1e6, unit: "MB", target: "target ≤ 1×")
        line("second, after changing 1%", tandemSecond, resticSecond, unit: "s ", target: "target ≤ 1×")
        line("… what it added to the vault", Double(tandemGrowth) / 1e6, Double(resticGrowth) / 1e6, unit: "MB", target: "")
        line("restore of the second", tandemRestore, resticRestore, unit: "s ", target: "target ≤ 1×")
        line("peak memory of a first snapshot", tandemPeak, resticPeak, unit: "MB", target: "target ≤ 1×")
        if let commandPeak { line("… of tandem snapshot create", commandPeak, resticPeak, unit: "MB", target: "target ≤ 1×") }
        if let result = second.result {
            print("  tandem's second snapshot: \(result.filesUnchanged) files unchanged, \(result.chunksWritten) chunks written, "
                  + "\(ByteCount.text(result.bytesProcessed)) read")
        }
        // The database figure starts on a quiet disk: the folder figure's gigabyte
        // of corpus, vaults and restored trees is removed and flushed first.
        for leftover in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) {
            try FileManager.default.removeItem(at: leftover)
        }
        sync()
        try databaseFigure(folder: folder, restic: restic)
    }

    /// `tandem db backup` of a 200 MB database against what a user would
    /// otherwise run — `sqlite3 DB ".backup FILE"` then `restic backup FILE`
    /// — and against the plain `.backup`.
    static func databaseFigure(folder: URL, restic: String) throws {
        guard let sqlite3 = which("sqlite3") else {
            print("db backup: sqlite3 is not installed; skipped")
            return
        }
        let database = folder.appendingPathComponent("app.sqlite").path
        let megabytes = Int(ProcessInfo.processInfo.environment["TANDEM_BENCH_DB_MB"] ?? "") ?? 200
        let queue = try DatabaseQueue(path: database)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE message (id INTEGER PRIMARY KEY, sender TEXT, body TEXT, sent INTEGER)")
            let statement = try db.makeStatement(sql: "INSERT INTO message (sender, body, sent) VALUES (?, ?, ?)")
            var text = Corpus.Words(seed: 42)
            for index in 0..<(megabytes * 1000) {
                try statement.execute(arguments: ["user\(index % 97)", text.line(bytes: 900), 1_800_000_000 + index])
            }
        }
        try queue.close()
        // Three rounds, alternating, each tandem backup into a vault of its own
        // (a second backup into the same vault would find every chunk there);
        // the medians are compared, as one run on a shared machine varies by a tenth.
        var sqliteTimes: [Double] = [], tandemTimes: [Double] = [], twoStepTimes: [Double] = []
        for round in 0..<3 {
            let vaultURL = folder.appendingPathComponent("db-vault-\(round)")
            try Vault.create(at: vaultURL, owner: "bench", protection: .passphrase(VaultGenerator.passphrase))
            let home = DeviceHome(root: folder.appendingPathComponent("db-home-\(round)"))
            let device = try home.createDevice(name: "bench", vaultPath: vaultURL, credential: .passphrase(VaultGenerator.passphrase))
            let copy = folder.appendingPathComponent("copy-\(round).sqlite").path
            sync()
            sqliteTimes.append(try syncSeconds { _ = try run(sqlite3, [database, ".backup '\(copy)'"]) })
            try FileManager.default.removeItem(atPath: copy)
            // What a user would otherwise run: a consistent copy, then restic backs it up (its own repository each round).
            let repository = folder.appendingPathComponent("db-restic-\(round)").path
            let environment = ["RESTIC_PASSWORD": VaultGenerator.passphrase, "RESTIC_CACHE_DIR": folder.appendingPathComponent("db-restic-cache-\(round)").path]
            _ = try run(restic, ["-r", repository, "init", "-q"], environment: environment)
            sync()
            twoStepTimes.append(try syncSeconds {
                _ = try run(sqlite3, [database, ".backup '\(copy)'"])
                _ = try run(restic, ["-r", repository, "backup", "-q", copy], environment: environment)
            })
            try FileManager.default.removeItem(atPath: copy)
            sync()
            tandemTimes.append(try syncSeconds { _ = try SnapshotService(device).backupDatabase(at: database) })
        }
        let sqliteSeconds = Measure.median(sqliteTimes), tandemSeconds = Measure.median(tandemTimes), twoStepSeconds = Measure.median(twoStepTimes)
        let size = (try FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
        print(String(format: "db backup of a %d MB database (median of 3 alternating rounds):", size / 1_000_000))
        print(String(format: "  tandem db backup                              %6.2f s", tandemSeconds))
        print(String(format: "  sqlite3 .backup, then restic backup of the copy %6.2f s   ratio %.2f×  (target ≤ 0.8×)", twoStepSeconds, tandemSeconds / twoStepSeconds))
        print(String(format: "  sqlite3 .backup alone                          %6.2f s   ratio %.2f×", sqliteSeconds, tandemSeconds / sqliteSeconds))
        print("  each round: tandem " + tandemTimes.map { String(format: "%.2f", $0) }.joined(separator: ", ")
              + "; two steps " + twoStepTimes.map { String(format: "%.2f", $0) }.joined(separator: ", ")
              + "; sqlite3 " + sqliteTimes.map { String(format: "%.2f", $0) }.joined(separator: ", "))
    }

    private struct SnapshotResultBox { var result: SnapshotResult? }

    /// A first snapshot of `source` in a process of its own, for its peak memory.
    static func snapshotChild(vault: String, home: String, source: String) throws {
        let device = try DeviceHome(root: URL(fileURLWithPath: home)).open("bench")
        let seconds = try syncSeconds { _ = try SnapshotService(device).createSnapshot(of: source) }
        print("seconds=\(seconds) peakMB=\(Measure.peakMemoryMB())")
    }

    /// Runs another program and prints its peak resident memory, from wait4:
    /// this process is small, so what the child inherits at fork is not what is read.
    static func measureChild(_ command: [String]) throws {
        var pid: pid_t = 0
        let arguments = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        let spawned = posix_spawn(&pid, command[0], nil, nil, arguments, environ)
        guard spawned == 0 else { throw BenchError(description: "cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, 0, &usage) == pid, status == 0 else { throw BenchError(description: "\(command[0]) failed (status \(status))") }
        print("peakMB=\(Double(usage.ru_maxrss) / 1024)")
    }

    static func which(_ tool: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/bin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func version(_ restic: String) -> String {
        ((try? run(restic, ["version"])) ?? "").split(separator: " ").dropFirst().first.map(String.init) ?? "?"
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError(description: "\(tool) \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Bytes of every file under `path` (`du -sb` would count folders too).
    static func size(of path: String) throws -> Int64 {
        var total: Int64 = 0
        let items = FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []
        for item in items {
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + item)
            guard attributes[FileAttributeKey.type] as? FileAttributeType == FileAttributeType.typeRegular else { continue }
            total += Int64((attributes[FileAttributeKey.size] as? NSNumber)?.int64Value ?? 0)
        }
        return total
    }

    private static func require<T>(_ value: T?) throws -> T {
        guard let value else { throw BenchError(description: "no snapshot id") }
        return value
    }
}

/// The generated corpus: a fifth media-like random files, two fifths text
/// files, and the rest many small files, as an app's data folder holds.
struct Corpus {
    let root: URL
    let files: Int
    let textFiles: [URL]

    static func generate(at root: URL, megabytes: Int) throws -> Corpus {
        let manager = FileManager.default
        var files = 0
        var textFiles: [URL] = []
        let random = FileHandle(forReadingAtPath: "/dev/urandom")!
        defer { try? random.close() }
        let media = root.appendingPathComponent("media")
        try manager.createDirectory(at: media, withIntermediateDirectories: true)
        for index in 0..<max(1, megabytes / 5 / 4) {
            try random.readData(ofLength: 4_000_000).write(to: media.appendingPathComponent("photo-\(index).jpg"))
            files += 1
        }
        var words = Words(seed: 7)
        for index in 0..<max(1, megabytes * 2 / 5 * 10) {
            let folder = root.appendingPathComponent("documents/\(index % 20)")
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            let url = folder.appendingPathComponent("note-\(index).txt")
            try Data(words.text(bytes: 100_000).utf8).write(to: url)
            textFiles.append(url)
            files += 1
        }
        for index in 0..<max(1, megabytes * 2 / 5 * 100) {
            let folder = root.appendingPathComponent("cache/\(index % 100)")
            if index < 100 { try manager.createDirectory(at: folder, withIntermediateDirectories: true) }
            let body = index % 2 == 0 ? Data(words.text(bytes: 10_000).utf8) : random.readData(ofLength: 10_000)
            try body.write(to: folder.appendingPathComponent("entry-\(index).bin"))
            files += 1
        }
        return Corpus(root: root, files: files, textFiles: textFiles)
    }

    /// Rewrites 1% of the files (text ones), as edits would.
    func changeOnePercent() throws {
        var words = Words(seed: 99)
        for url in textFiles.prefix(max(1, files / 100)) {
            try Data(words.text(bytes: 100_000).utf8).write(to: url)
        }
    }

    /// Text from a fixed vocabulary and a seeded generator: compressible as prose is.
    struct Words {
        private var state: UInt64
        private static let vocabulary = ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there "
            + "sync vault device backup restore entry conflict message friend settings photo album note travel budget recipe music").split(separator: " ").map(String.init)

        init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }

        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }

        mutating func line(bytes: Int) -> String {
            var text = ""
            text.reserveCapacity(bytes + 16)
            while text.utf8.count < bytes {
                text += Self.vocabulary[Int(next() % UInt64(Self.vocabulary.count))]
                text += next() % 11 == 0 ? ". " : " "
            }
            return text
        }

        mutating func text(bytes: Int) -> String {
            var text = ""
            while text.utf8.count < bytes { text += line(bytes: 80) + "\n" }
            return text
        }
    }
}
