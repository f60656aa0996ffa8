import ArgumentParser
import Foundation
import TandemCore
import TandemSimulation

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a seeded multi-device scenario without a UI and report whether the devices converged.",
        discussion: """
            Devices write, delete, edit the same entries concurrently, go offline, are reinstalled (their store \
            wiped, everything restored from the vault), decide and sync in a random order fixed by the seed; at the \
            end all come online under policy accept. The report gives the operations, syncs, conflicts seen and \
            resolved, reinstalls, writes made offline, whether every device holds the same data, and the time.
            Exit code 1 when they did not converge.

            Example: tandem simulate --devices 5 --steps 2000 --seed 7
            """)

    @Option(help: "Number of devices (2–50).") var devices = 3
    @Option(help: "Number of scripted steps.") var steps = 1000
    @Option(help: "Seed of the script; the same seed replays the same scenario.") var seed: UInt64 = 1
    @Option(help: "Chance per step that a device goes offline or comes back (0–1).") var offlineRate = 0.05
    @Option(help: "Chance per step of a concurrent edit of one entry on two devices (0–1).") var conflictRate = 0.1
    @Option(help: "Chance per step that a device is reinstalled and restores from the vault (0–1).") var reinstallRate = 0.001
    @Option(help: "Chance per step that a device's store is put back from an older copy of it, as from a backup (0–1; copies are taken as often).")
    var storeRestoreRate = 0.0
    @Option(help: "Chance per step that a device's store is copied into a second home that keeps working beside it (0–1; at most 8 devices).")
    var cloneRate = 0.0
    @Option(help: ArgumentHelp("Keys per context (default: one per 50 steps, at least 6): fewer keys, more contention.", valueName: "N"))
    var keys: Int?
    @Option(help: ArgumentHelp("Keep device N (0-based) offline for the whole script; its writes arrive at the end.", valueName: "N"))
    var offlineDevice: Int?
    @Option(help: ArgumentHelp("Keep the workspace here instead of a temporary folder.", valueName: "PATH")) var dir: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (2...50).contains(devices) else { throw ValidationError("--devices must be between 2 and 50") }
        guard steps >= 0 else { throw ValidationError("--steps cannot be negative") }
        for (name, rate) in [("--offline-rate", offlineRate), ("--conflict-rate", conflictRate), ("--reinstall-rate", reinstallRate),
                              ("--store-restore-rate", storeRestoreRate), ("--clone-rate", cloneRate)]
        where !(0...1).contains(rate) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        if let keys, keys < 1 { throw ValidationError("--keys must be at least 1") }
        if let offlineDevice, !(0..<devices).contains(offlineDevice) {
            throw ValidationError("--offline-device must be between 0 and \(devices - 1)")
        }
    }

    func run() async throws {
        let folder = dir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tandem-simulate-\(UUID().uuidString.prefix(8))")
        if FileManager.default.fileExists(atPath: folder.path),
           !((try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.isEmpty ?? true) {
            throw TandemError.io(path: folder.path, reason: "is not empty; choose an empty or new --dir")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(at: folder) } }
        let configuration = ScenarioConfiguration(devices: devices, steps: steps, seed: seed, offlineRate: offlineRate,
                                                  conflictRate: conflictRate, reinstallRate: reinstallRate, storeCopyRate: storeRestoreRate,
                                                  storeRestoreRate: storeRestoreRate, cloneRate: cloneRate, offlineThroughout: offlineDevice,
                                                  keysPerContext: keys ?? max(6, steps / 50))
        let report = try await Scenario(configuration, folder: folder).run()
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        if output.json {
            Output.json(.object([
                ("seed", .number(String(seed))), ("devices", .number(String(devices))), ("steps", .number(String(steps))),
                ("operations", .number(String(report.operations))), ("syncs", .number(String(report.syncs))),
                ("conflictsSeen", .number(String(report.conflictsSeen))), ("conflictsResolved", .number(String(report.conflictsResolved))),
                ("reinstalls", .number(String(report.reinstalls))), ("storeRestores", .number(String(report.restores))),
                ("clones", .number(String(report.clones))), ("offlineWrites", .number(String(report.offlineWrites))),
                ("converged", .bool(report.converged)), ("seconds", .number(String(format: "%.3f", seconds))),
                ("failures", .array(report.failures.map { .string($0) })),
            ]))
        } else {
            Output.line("seed \(seed): \(devices) devices, \(steps) steps")
            Output.line("  operations  \(report.operations) (\(String(format: "%.0f", Double(report.operations) / max(seconds, 0.001))) per second)")
            Output.line("  syncs       \(report.syncs)")
            Output.line("  conflicts   \(report.conflictsSeen) seen at once at most, \(report.conflictsResolved) resolved")
            Output.line("  reinstalls  \(report.reinstalls) (each restored everything from the vault)")
            if report.restores + report.clones > 0 {
                Output.line("  copies      \(report.restores) stores put back from older copies, \(report.clones) cloned into homes of their own")
            }
            Output.line("  offline     \(report.offlineWrites) writes made offline, delivered when back")
            Output.line("  converged   \(report.converged ? "yes: every device holds the same data, no write lost" : "NO")")
            Output.line(String(format: "  time        %.2f s", seconds))
            for failure in report.failures { Output.line("  " + failure) }
        }
        if !report.converged { throw ExitCode(1) }
    }
}
