import ArgumentParser
import Foundation
import TandemCore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the vault: every device's log and record, every snapshot's manifest and chunks; prints what is damaged or missing, by path, and which snapshots it touches.",
        discussion: """
            Exits 1 when anything is damaged or missing. Damaged chunks found are recorded in the vault, so that \
            no later backup reuses them: the next backup of the same files writes them again.

            Example: tandem check --read-data
            """)
    @Flag(help: "Read, open and re-hash every chunk, not only look it up.") var readData = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let device = try global.openUnlockedDevice()
        let vault = try device.vault()
        var tally = CheckTally()
        var findings = try LogCheck(vault: vault).findings(counting: &tally) + (try device.snapshots.checkVault(readData: readData, counting: &tally))
        findings += vault.strayCopies().map { VaultFinding(path: $0.path, problem: $0.advice) }
        let hasKeyFiles = vault.key != nil && ((try? vault.readDescriptor().format) ?? 0) >= VaultFormat.keyFilesSince
        if hasKeyFiles {
            let keys = vault.keyFiles()
            tally.keyFiles = keys.files.count
            findings += keys.problems.map { VaultFinding(path: $0.path, problem: $0.reason) }
        }
        if output.json {
            func number(_ value: Int) -> JSONValue { .number(String(value)) }
            Output.json(.object([
                ("findings", .array(findings.map(Self.json))),
                ("checked", .object([("logs", number(tally.logs)), ("deviceRecords", number(tally.records)),
                                     ("checkpoints", number(tally.checkpoints)), ("segments", number(tally.segments)),
                                     ("keyFiles", number(tally.keyFiles)), ("snapshots", number(tally.snapshots)),
                                     ("packs", number(tally.packs)), ("chunks", number(tally.chunks))])),
                ("readData", .bool(readData)),
            ]))
        } else if findings.isEmpty {
            Output.line("no damage found\(readData ? "; every chunk opens and matches its address" : "; every chunk is there (--read-data also opens each)")")
        } else {
            for finding in findings {
                Output.line("\(Escaped.text(finding.path)): \(Escaped.text(finding.problem))")
                for touched in finding.touches {
                    let files = touched.files.isEmpty ? "" : " (\(touched.files.prefix(3).map(Escaped.text).joined(separator: ", "))"
                        + (touched.files.count > 3 ? " and \(touched.files.count - 3) more files)" : ")")
                    Output.line("  touches snapshot \(touched.snapshot)\(files)")
                }
            }
            Output.line(findings.count == 1 ? "1 problem found" : "\(findings.count) problems found")
        }
        if !output.json {
            Output.line("checked \(tally.logs) logs (\(tally.segments) segments, \(tally.checkpoints) checkpoints), \(tally.records) device records, "
                        + (hasKeyFiles ? "\(tally.keyFiles) key files, " : "")
                        + "\(tally.snapshots) snapshots, \(tally.packs) packs, \(tally.chunks) chunks\(readData ? " (each read and re-hashed)" : "")")
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }

    private static func json(_ finding: VaultFinding) -> JSONValue {
        .object([
            ("path", .string(finding.path)), ("problem", .string(finding.problem)),
            ("snapshots", .array(finding.touches.map { .string($0.snapshot) })),
            ("files", .array(finding.touches.flatMap { touched in
                touched.files.map { .object([("snapshot", .string(touched.snapshot)), ("path", .string($0))]) }
            })),
        ])
    }
}
