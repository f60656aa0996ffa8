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
        let (mine, theirs) = (Measure.median(tandem), Measure.median(grdb))
        print(String(format: "  tandem import (DeviceStore.write)     %6.3f s   (median of 3: %@; target ≤ 3 s)", mine,
                     tandem.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        print(String(format: "  GRDB insert of the same rows          %6.3f s   (median of 3: %@)", theirs,
                     grdb.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        print(String(format: "  ratio %.2f×", mine / theirs))
    }
}
