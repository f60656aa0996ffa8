import Foundation
import Logging
import TandemCore

/// A vault with a long history: 3 devices write 200,000 versions of 2,000
/// keys in syncs of 1–20 changes, with 20 reinstalls, each sync compacting
/// by itself. Judged against a compact vault that holds the same 2,000 live
/// entries written once, in the same run.
extension Bench {
    static let historyVersions = 200_000
    static let historyKeys = 2_000
    static let historyReinstalls = 20

    static func historyFigure() async throws {
        let folder = scratch("history")
        // TANDEM_BENCH_KEEP=1 leaves the vaults and stores for a closer look (a profiler on one restore, say).
        let keep = ProcessInfo.processInfo.environment["TANDEM_BENCH_KEEP"] != nil
        defer { if keep { print("  kept in \(folder.path)") } else { try? FileManager.default.removeItem(at: folder) } }
        let vaultURL = folder.appendingPathComponent("vault")
        let descriptor = try Vault.create(at: vaultURL, owner: "bench", protection: .none).descriptor
        let vault = Vault(root: vaultURL)
        print("history: 3 devices write \(historyVersions) versions of \(historyKeys) keys (syncs of 1–20 changes), \(historyReinstalls) reinstalls")
        var random = SystemRandomNumberGenerator()
        var devices: [Device] = []
        var installations = 3
        for index in 0..<3 {
            let store = try DeviceStore.create(at: folder.appendingPathComponent("device\(index)-0.sqlite").path, name: "device\(index)",
                                               vault: vault, descriptor: descriptor)
            devices.append(Device(store: store))
        }
        var written = 0
        var syncs = 0
        let reinstallEvery = historyVersions / (historyReinstalls + 1)
        let generation = try await Measure.seconds {
            while written < historyVersions {
                let index = Int.random(in: 0..<3, using: &random)
                let device = devices[index]
                for _ in 0..<Int.random(in: 1...20, using: &random) where written < historyVersions {
                    let key = Int.random(in: 0..<historyKeys, using: &random)
                    try device.store.write(context: "bench", key: "key-\(key)", value: VaultGenerator.value(written, bytes: 256))
                    written += 1
                }
                _ = try await quietSync(device)
                syncs += 1
                if written / reinstallEvery > installations - 3, installations - 3 < historyReinstalls {
                    // The app is reinstalled on one device: everything pushed, a new store restores it all.
                    let old = devices[index]
                    let replaced = try old.store.info().id
                    try old.store.close()
                    let store = try DeviceStore.create(at: folder.appendingPathComponent("device\(index)-\(installations).sqlite").path,
                                                       name: "device\(index)", vault: vault, descriptor: descriptor, replacing: replaced)
                    devices[index] = Device(store: store)
                    _ = try await quietSync(devices[index])
                    installations += 1
                }
            }
            for device in devices { _ = try await quietSync(device) }
        }
        // Concurrent writes left conflicts (accept keeps them listed): a person resolves them on one device.
        let conflicts = try devices[0].store.entries(states: [.conflict])
        for conflict in conflicts { _ = try devices[0].store.resolve(context: conflict.context, key: conflict.key, .keepLocal) }
        for _ in 0..<2 { for device in devices { _ = try await quietSync(device) } }
        let live = try devices[0].store.entries().filter { $0.value != nil }.count
        let before = VaultSize(vaultURL)
        print(String(format: "  written in %.1f s: %d syncs, %d installations; %d live entries, %d conflicts resolved at the end",
                     generation, syncs, installations, live, conflicts.count))
        print("  before maintenance: \(before.files) files, \(ByteCount.text(before.bytes)) (covered files wait an hour, retired logs too)")

        // Maintenance once the grace has passed: retired logs folded and removed, each log compacted.
        for _ in 0..<2 {
            for device in devices {
                var synchronizer = Synchronizer(device: device, logger: quiet)
                synchronizer.compactionGraceMillis = 0
                _ = try await synchronizer.sync(policies: .all(.accept))
                _ = try await synchronizer.compact(graceMillis: 0, dryRun: false, upgrade: false)
            }
        }
        let after = VaultSize(vaultURL)

        // The same live entries, written once by one device.
        let compactURL = folder.appendingPathComponent("compact")
        let compactDescriptor = try Vault.create(at: compactURL, owner: "bench", protection: .none).descriptor
        let writer = Device(store: try DeviceStore.create(at: folder.appendingPathComponent("writer.sqlite").path, name: "writer",
                                                          vault: Vault(root: compactURL), descriptor: compactDescriptor))
        for entry in try devices[0].store.entries() {
            guard let value = entry.value else { continue }
            try writer.store.write(context: entry.context, key: entry.key, value: value)
        }
        _ = try await quietSync(writer)
        let compact = VaultSize(compactURL)

        var restores: [Double] = [], baselines: [Double] = []
        for round in 0..<5 {
            restores.append(try await restoreSeconds(folder.appendingPathComponent("restore-\(round).sqlite").path, vault: vault,
                                                     descriptor: descriptor, expect: live))
            baselines.append(try await restoreSeconds(folder.appendingPathComponent("baseline-\(round).sqlite").path, vault: Vault(root: compactURL),
                                                      descriptor: compactDescriptor, expect: live))
        }
        let restore = Measure.median(restores), baseline = Measure.median(baselines)
        let incremental = try await incrementalSeconds(writer: devices[0], vault: vault, descriptor: descriptor, folder: folder, name: "history")
        let compactIncremental = try await incrementalSeconds(writer: writer, vault: Vault(root: compactURL), descriptor: compactDescriptor,
                                                              folder: folder, name: "compact")
        let entries = try devices[0].store.entries()
        let versions = entries.reduce(0) { $0 + $1.vault.count }
        let vectors = entries.map { Double($0.vault.first?.vector.counters.count ?? 0) }
        let meanVector = vectors.reduce(0, +) / Double(max(1, vectors.count))

        print(String(format: "  fresh device restores the compacted history  %7.3f s   (median of 5, spread %.3f–%.3f)", restore,
                     restores.min() ?? 0, restores.max() ?? 0))
        print(String(format: "  baseline: the same %d entries written once   %7.3f s   ratio %.2f×  (target ≤ 1.2×)", live, baseline, restore / baseline))
        print(String(format: "  files after compaction: %d, %.1f per live device (target ≤ 5); the compact vault: %d; %d versions in the vault view",
                     after.files, Double(after.files) / 3, compact.files, versions))
        print("  vault bytes after compaction: \(ByteCount.text(after.bytes)), the compact vault \(ByteCount.text(compact.bytes)): "
              + String(format: "ratio %.2f×  (target ≤ 2×)", Double(after.bytes) / Double(max(1, compact.bytes))))
        print(String(format: "  incremental sync of 10 changes: %.2f ms on the compacted history, %.2f ms on the compact vault: ratio %.2f×  (target ≤ 1.5×)",
                     incremental * 1000, compactIncremental * 1000, incremental / compactIncremental))
        print(String(format: "  version vectors: %.1f devices on average in the live entries' versions, after %d installations",
                     meanVector, installations))
        for device in devices { try device.store.close() }
        try writer.store.close()
    }

    /// The restore figure again, on the vaults a kept history run left in
    /// `kept`: 9 rounds of each side, alternating (`TANDEM_BENCH_ROUNDS=1` for
    /// one each, as under `valgrind --tool=callgrind`).
    static func historyRestoreFigure(kept: URL) async throws {
        let rounds = ProcessInfo.processInfo.environment["TANDEM_BENCH_ROUNDS"].flatMap { Int($0) } ?? 9
        let history = Vault(root: kept.appendingPathComponent("vault")), compact = Vault(root: kept.appendingPathComponent("compact"))
        let scratchFolder = scratch("history-restore")
        defer { try? FileManager.default.removeItem(at: scratchFolder) }
        let historyDescriptor = try history.readDescriptor(), compactDescriptor = try compact.readDescriptor()
        var restores: [Double] = [], baselines: [Double] = []
        for round in 0..<rounds {
            restores.append(try await restoreSeconds(scratchFolder.appendingPathComponent("r\(round).sqlite").path, vault: history,
                                                     descriptor: historyDescriptor, expect: nil))
            baselines.append(try await restoreSeconds(scratchFolder.appendingPathComponent("b\(round).sqlite").path, vault: compact,
                                                      descriptor: compactDescriptor, expect: nil))
        }
        let restore = Measure.median(restores), baseline = Measure.median(baselines)
        print(String(format: "history restore (kept vaults in %@), median of %d", kept.path, rounds))
        print(String(format: "  fresh device restores the compacted history  %7.3f s   (spread %.3f–%.3f)", restore, restores.min() ?? 0, restores.max() ?? 0))
        print(String(format: "  baseline: the same entries written once      %7.3f s   (spread %.3f–%.3f)   ratio %.2f×  (target ≤ 1.2×)",
                     baseline, baselines.min() ?? 0, baselines.max() ?? 0, restore / baseline))
    }

    static let quiet = Logger(label: "tandem.bench", factory: { _ in SwiftLogNoOpLogHandler() })

    static func quietSync(_ device: Device) async throws -> SyncReport {
        try await Synchronizer(device: device, logger: quiet).sync(policies: .all(.accept))
    }

    /// A fresh device restores `vault`; it must end with `expect` live entries (when given).
    static func restoreSeconds(_ path: String, vault: Vault, descriptor: VaultDescriptor, expect: Int?) async throws -> Double {
        sync()
        var store: DeviceStore?
        let seconds = try await Measure.seconds {
            let fresh = try DeviceStore.create(at: path, name: "fresh", vault: vault, descriptor: descriptor)
            store = fresh
            let report = try await quietSync(Device(store: fresh))
            guard report.problems.isEmpty else { throw BenchError(description: "restore met \(report.problems)") }
            try fresh.close()
        }
        let reopened = try DeviceStore.open(at: path)
        let live = try reopened.entries().filter { $0.value != nil }.count
        try reopened.close()
        _ = store
        guard expect == nil || live == expect else { throw BenchError(description: "restore gave \(live) live entries, not \(expect ?? 0)") }
        return seconds
    }

    /// A reader that has restored `vault` syncs 10 new changes of `writer`; the median of 9.
    static func incrementalSeconds(writer: Device, vault: Vault, descriptor: VaultDescriptor, folder: URL, name: String) async throws -> Double {
        let reader = Device(store: try DeviceStore.create(at: folder.appendingPathComponent("\(name)-reader.sqlite").path, name: "reader",
                                                          vault: vault, descriptor: descriptor))
        _ = try await quietSync(reader)
        var times: [Double] = []
        for round in 0..<9 {
            for key in 0..<10 {
                try writer.store.write(context: "bench", key: "key-\(key)", value: VaultGenerator.value(round * 10 + key + 1_000_000, bytes: 256))
            }
            _ = try await quietSync(writer)
            var report = SyncReport()
            times.append(try await Measure.seconds { report = try await quietSync(reader) })
            guard report.changesPulled == 10 else { throw BenchError(description: "incremental sync pulled \(report.changesPulled)") }
        }
        try reader.store.close()
        return Measure.median(times)
    }
}

/// The files and bytes of a vault folder, snapshots aside.
struct VaultSize {
    var files = 0
    var bytes: Int64 = 0

    init(_ root: URL) {
        for case let path as String in FileManager.default.enumerator(atPath: root.path)?.allObjects ?? [] {
            guard !path.hasPrefix("snapshots"), !path.hasPrefix("packs") else { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(path).path)
            guard attributes?[.type] as? FileAttributeType == .typeRegular else { continue }
            files += 1
            bytes += (attributes?[.size] as? Int64) ?? 0
        }
    }
}
