import Foundation
import GRDB
import TandemCore

/// Prints Tandem's figures next to the baselines they are judged against,
/// all measured in this run on this machine.
///
/// `swift run -c release tandem-bench` runs every figure; `tandem-bench restore`,
/// `incremental`, `ui`, `snapshots`, `history` or `import` runs one;
/// `history-restore FOLDER` measures only the restores again, on the vaults
/// a `TANDEM_BENCH_KEEP=1 tandem-bench history` run kept in FOLDER.
@main
struct Bench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            switch arguments.first {
            case "restore-child": try await restoreChild(vault: arguments[1], store: arguments[2], keyHex: ProcessInfo.processInfo.environment["TANDEM_BENCH_KEY"])
            case "baseline-child": try baselineChild(store: arguments[1], count: Int(arguments[2]) ?? 100_000, pageSize: arguments.count > 3 ? Int(arguments[3]) : nil)
            case "ui-child": try uiChild(store: arguments[1], count: Int(arguments[2]) ?? 100_000)
            case "generate": try generateRestoreVault(at: arguments[1])
            case "snapshot-child": try snapshotChild(vault: arguments[1], home: arguments[2], source: arguments[3])
            case "measure-child": try measureChild(Array(arguments.dropFirst()))
            case "ui": try await uiFigure()
            case "restore": try await restoreFigure()
            case "incremental": try await incrementalFigure()
            case "snapshots": try await snapshotFigure()
            case "history": try await historyFigure()
            case "history-restore": try await historyRestoreFigure(kept: URL(fileURLWithPath: arguments[1]))
            case "import": try await importFigure()
            case nil:
                try await restoreFigure()
                try await incrementalFigure()
                try await uiFigure()
                try await snapshotFigure()
                try await historyFigure()
                try await importFigure()
            default:
                print("usage: tandem-bench [restore|incremental|ui|snapshots|history|import]")
                exit(2)
            }
        } catch {
            FileHandle.standardError.write(Data("tandem-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func scratch(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-bench-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    // MARK: Restore

    /// A fresh device pulls and applies (policy accept) 100,000 entries of
    /// ~1 KiB written by 4 devices, against inserting the same rows into a fresh
    /// SQLite file in one transaction through GRDB.
    static func restoreFigure() async throws {
        let folder = scratch("restore")
        defer { try? FileManager.default.removeItem(at: folder) }
        var plain = try VaultGenerator(root: folder.appendingPathComponent("vault"), deviceCount: 4)
        var sealed = try VaultGenerator(root: folder.appendingPathComponent("sealed"), deviceCount: 4, encrypted: true)
        for (index, device) in plain.devices.enumerated() {
            try plain.push(device: device, context: "bench", keys: (index * 25_000)..<((index + 1) * 25_000), perSegment: 1000)
        }
        for (index, device) in sealed.devices.enumerated() {
            try sealed.push(device: device, context: "bench", keys: (index * 25_000)..<((index + 1) * 25_000), perSegment: 1000)
        }
        let keyHex = sealed.vault.key.map { $0.bytes.map { String(format: "%02x", $0) }.joined() } ?? ""
        print("restore: 100,000 entries of ~1 KiB from 4 devices (100 segments)")
        var restores: [Double] = []
        var sealedRestores: [Double] = []
        var baselines: [Double] = []
        var tunedBaselines: [Double] = []
        var memory = 0.0
        var sealedMemory = 0.0
        for round in 0..<5 {
            func path(_ name: String) -> String { folder.appendingPathComponent("\(name)-\(round).sqlite").path }
            // Each measurement starts with no dirty pages left by the one before.
            sync()
            baselines.append(try Measure.child(["baseline-child", path("baseline"), "100000"])["seconds"] ?? 0)
            sync()
            tunedBaselines.append(try Measure.child(["baseline-child", path("tuned"), "100000", "16384"])["seconds"] ?? 0)
            sync()
            let restore = try Measure.child(["restore-child", plain.root.path, path("store")])
            restores.append(restore["seconds"] ?? 0)
            memory = max(memory, restore["peakMB"] ?? 0)
            sync()
            // The key goes by the environment: command lines are visible to every user.
            let sealedRestore = try Measure.child(["restore-child", sealed.root.path, path("sealed")], environment: ["TANDEM_BENCH_KEY": keyHex])
            sealedRestores.append(sealedRestore["seconds"] ?? 0)
            sealedMemory = max(sealedMemory, sealedRestore["peakMB"] ?? 0)
        }
        let restore = Measure.median(restores), baseline = Measure.median(baselines), tuned = Measure.median(tunedBaselines)
        let sealedRestore = Measure.median(sealedRestores)
        var unlocks: [Double] = []
        for _ in 0..<3 {
            unlocks.append(try syncSeconds { _ = try Vault(root: sealed.root).unlocked(sealed.descriptor, with: .passphrase(VaultGenerator.passphrase)) })
        }
        print(String(format: "  tandem restore (fresh device, sync --policy accept)  %7.3f s   (median of 5)", restore))
        print(String(format: "  baseline: GRDB insert, one transaction               %7.3f s   ratio %.2f×  (target ≤ 2×)", baseline, restore / baseline))
        print(String(format: "  same baseline with 16 KiB pages, as the store uses   %7.3f s   ratio %.2f×", tuned, restore / tuned))
        print(String(format: "  same restore from an AES-256-GCM vault (key known)   %7.3f s   ratio %.2f× the plain restore (target ≤ 1.25×)", sealedRestore, sealedRestore / restore))
        print(String(format: "  unlocking with the passphrase (scrypt N=2^%d, once)  %7.3f s   (median of 3)", ScryptParameters.defaultLogN, Measure.median(unlocks)))
        print(String(format: "  peak memory of the restore %.0f MB, of the encrypted one %.0f MB  (target < 200 MB)", memory, sealedMemory))
    }

    static func restoreChild(vault path: String, store: String, keyHex: String?) async throws {
        let plain = Vault(root: URL(fileURLWithPath: path))
        let descriptor = try plain.readDescriptor()
        let key = keyHex.flatMap { hex in VaultKey(bytes: stride(from: 0, to: hex.count, by: 2).compactMap {
            UInt8(hex.dropFirst($0).prefix(2), radix: 16)
        }) }
        let vault = try plain.unlocked(descriptor, with: key.map(VaultCredential.key))
        let seconds = try await Measure.seconds {
            let device = try DeviceStore.create(at: store, name: "restored", vault: vault, descriptor: descriptor)
            let report = try await Synchronizer(device: Device(store: device, key: vault.key)).sync(policies: .all(.accept))
            guard report.changesPulled == 100_000, report.problems.isEmpty else {
                throw BenchError(description: "restore pulled \(report.changesPulled) changes, problems: \(report.problems)")
            }
            // Closing checkpoints the write-ahead log: part of the restore's cost.
            try device.close()
        }
        print("seconds=\(seconds) peakMB=\(Measure.peakMemoryMB())")
    }

    /// The baseline is made as fast as GRDB allows: a `DatabaseQueue` (no WAL,
    /// so the one big transaction is not copied twice), values built beforehand.
    static func baselineChild(store: String, count: Int, pageSize: Int?) throws {
        let values = (0..<count).map { VaultGenerator.value($0) }
        let seconds = try syncSeconds {
            var configuration = Configuration()
            if let pageSize {
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA page_size = \(pageSize)") }
            }
            let queue = try DatabaseQueue(path: store, configuration: configuration)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE entry (context TEXT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (context, key))")
                let statement = try db.makeStatement(sql: "INSERT INTO entry (context, key, value) VALUES (?, ?, ?)")
                for index in 0..<count {
                    try statement.execute(arguments: ["bench", "key-\(index)", values[index]])
                }
            }
        }
        print("seconds=\(seconds) peakMB=\(Measure.peakMemoryMB())")
    }

    static func syncSeconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    // MARK: Incremental

    /// One device syncs 10 new remote changes when the vault holds 100,000
    /// entries in 1,000 segments, against the same sync on a vault of 1,000 entries.
    static func incrementalFigure() async throws {
        print("incremental: sync of 10 new remote changes")
        let large = try await incremental(entries: 100_000)
        let small = try await incremental(entries: 1_000)
        print(String(format: "  vault of 100,000 entries (1,000 segments)  %7.2f ms   (median of 9; target < 50 ms)", large * 1000))
        print(String(format: "  vault of 1,000 entries (10 segments)       %7.2f ms   (median of 9)", small * 1000))
        print(String(format: "  ratio %.2f×  (target ≤ 1.5×)", large / small))
    }

    static func incremental(entries: Int) async throws -> Double {
        let folder = scratch("incremental")
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = try VaultGenerator(root: folder.appendingPathComponent("vault"), deviceCount: 2)
        let writer = generator.devices[0]
        try generator.push(device: writer, context: "bench", keys: 0..<entries, perSegment: 100)
        let store = try DeviceStore.create(at: folder.appendingPathComponent("store.sqlite").path, name: "reader",
                                           vault: generator.vault, descriptor: generator.descriptor)
        let synchronizer = Synchronizer(device: Device(store: store, key: generator.vault.key))
        _ = try await synchronizer.sync(policies: .all(.accept))
        var times: [Double] = []
        for round in 0..<9 {
            try generator.push(device: writer, context: "bench", keys: (round * 10)..<(round * 10 + 10), perSegment: 10, version: round + 1)
            var report = SyncReport()
            times.append(try await Measure.seconds { report = try await synchronizer.sync(policies: .all(.accept)) })
            guard report.changesPulled == 10 else { throw BenchError(description: "incremental sync pulled \(report.changesPulled)") }
        }
        return Measure.median(times)
    }
}

extension Bench {
    /// Leaves the restore vault at `path`, for profiling a restore by hand.
    static func generateRestoreVault(at path: String) throws {
        var generator = try VaultGenerator(root: URL(fileURLWithPath: path), deviceCount: 4)
        for (index, device) in generator.devices.enumerated() {
            try generator.push(device: device, context: "bench", keys: (index * 25_000)..<((index + 1) * 25_000), perSegment: 1000)
        }
    }
}
