import Foundation
import GRDB
import TandemCore

extension Bench {
    /// `tandem import` of 100,000 entries of about 1 KiB in one batch,
    /// against GRDB inserting the same rows into a table of its own.
    static func importFigure() async throws {
        print("import: 100,000 entries of about 1 KiB, one transaction")
        let count = 100_000
        let values = (0..<count).map { VaultGenerator.value($0) }
        var tandem: [Double] = []
        var grdb: [Double] = []
        for round in 0..<3 {
            let folder = scratch("import-\(round)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let vaultRoot = folder.appendingPathComponent("vault")
            let created = try Vault.create(at: vaultRoot, owner: "bench", protection: .none)
            let store = try DeviceStore.create(at: folder.appendingPathComponent("store.sqlite").path, name: "bench",
                                               vault: Vault(root: vaultRoot), descriptor: created.descriptor)
            let batch = (0..<count).map { DeviceStore.BatchWrite(context: "bench", key: "key-\($0)", value: values[$0]) }
            tandem.append(try syncSeconds { try store.write(batch) })
            grdb.append(try syncSeconds {
                let queue = try DatabaseQueue(path: folder.appendingPathComponent("grdb.sqlite").path)
                try queue.write { db in
                    try db.execute(sql: "CREATE TABLE entry (context TEXT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (context, key))")
                    let statement = try db.makeStatement(sql: "INSERT INTO entry (context, key, value) VALUES (?, ?, ?)")
                    for index in 0..<count { try statement.execute(arguments: ["bench", "key-\(index)", values[index]]) }
                }
            })
        }
        let cli = try cliImportSeconds(values: values)
        let (mine, theirs) = (Measure.median(tandem), Measure.median(grdb))
        print(String(format: "  tandem import (DeviceStore.write)     %6.3f s   (median of 3: %@; target ≤ 3 s)", mine,
                     tandem.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        print(String(format: "  GRDB insert of the same rows          %6.3f s   (median of 3: %@)", theirs,
                     grdb.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        print(String(format: "  ratio %.2f×", mine / theirs))
        if let cli {
            print(String(format: "  tandem import FILE (the command, JSON Lines, process start to exit)  %6.3f s   (median of 3: %@)",
                         Measure.median(cli), cli.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        } else {
            print("  tandem import FILE: not measured (no tandem binary beside tandem-bench: swift build -c release)")
        }
    }

    /// The `tandem import` command on a JSON Lines file of the same entries,
    /// run by the `tandem` built beside this bench; nil when there is none.
    static func cliImportSeconds(values: [String]) throws -> [Double]? {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tandem")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { return nil }
        var times: [Double] = []
        for round in 0..<3 {
            let folder = scratch("import-cli-\(round)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let home = folder.appendingPathComponent("home").path, vault = folder.appendingPathComponent("vault").path
            let lines = folder.appendingPathComponent("entries.jsonl")
            var text = ""
            for (index, value) in values.enumerated() { text += #"{"key":"key-\#(index)","value":\#(value)}"# + "\n" }
            try Data(text.utf8).write(to: lines)
            _ = try run(binary.path, ["init", "--vault", vault, "--owner", "bench", "--encryption", "none"])
            _ = try run(binary.path, ["device", "create", "bench", "--vault", vault, "--encryption", "none", "--home", home])
            times.append(try syncSeconds { _ = try run(binary.path, ["import", "bench", lines.path, "--home", home]) })
        }
        return times
    }
}
