import ArgumentParser
import Foundation
import TandemCore

struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Fold this device's log into a checkpoint, and remove the segments it covers once --grace has passed.",
        discussion: """
            A checkpoint holds the latest version of every entry this device's log carried; a new device, or one \
            that was away, reads it instead of every segment. Each sync does this by itself once 100 segments \
            were pushed since the last checkpoint. Covered segments stay for --grace seconds (an hour) after their \
            checkpoint was placed, so a synced folder that delivers files late has time to bring the checkpoint first; \
            --grace 0 removes them at once. A deletion leaves the checkpoints once every device has it and \
            --tombstone-grace has passed (7 days). A vault of an earlier format is upgraded only with --upgrade: \
            devices running an older tandem can no longer sync with it.

            Examples: tandem compact --dry-run; tandem compact --grace 0 --json
            """)

    @Option(help: "Seconds: covered segments stay this long after their checkpoint was placed.") var grace = 3600
    @Option(help: "Seconds: a deletion every device has stays in checkpoints this long before it is left out.")
    var tombstoneGrace = Int(Synchronizer.defaultTombstoneGraceMillis / 1000)
    @Flag(help: "Say what would be written and removed, change nothing.") var dryRun = false
    @Flag(help: "Upgrade a vault of an earlier format to format \(VaultFormat.version): checkpoints, and a key file per passphrase.") var upgrade = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace is a number of seconds, 0 or more") }
        guard tombstoneGrace >= 0 else { throw ValidationError("--tombstone-grace is a number of seconds, 0 or more") }
    }

    func run() async throws {
        let device = try global.openUnlockedDevice()
        var synchronizer = Synchronizer(device: device, logger: global.logger())
        synchronizer.tombstoneGraceMillis = Int64(tombstoneGrace) * 1000
        let report = try await synchronizer.compact(graceMillis: Int64(grace) * 1000, dryRun: dryRun, upgrade: upgrade)
        if output.json {
            Output.json(.object([
                ("dryRun", .bool(report.dryRun)), ("upgraded", .bool(report.upgraded)),
                ("checkpoint", report.checkpoint.map { .number(String($0)) } ?? .null),
                ("segmentsFolded", .number(String(report.segmentsFolded))), ("versions", .number(String(report.versions))),
                ("files", .number(String(report.files))), ("removed", .array(report.removed.map(JSONValue.string))),
                ("bytesRemoved", .number(String(report.removedBytes))), ("kept", .number(String(report.kept))),
                ("removableAt", report.removableAtMillis.map { .string(Self.time($0)) } ?? .null),
                ("tombstonesCollected", .number(String(report.tombstonesCollected))),
                ("tombstonesWaiting", .number(String(report.tombstonesWaiting))),
            ]))
            return
        }
        let would = report.dryRun
        if report.upgraded { Output.line("\(would ? "would upgrade" : "upgraded") the vault to format \(VaultFormat.version)") }
        if let seq = report.checkpoint {
            Output.line("\(would ? "would fold" : "folded") \(report.segmentsFolded) \(report.segmentsFolded == 1 ? "segment" : "segments") into checkpoint \(seq): "
                        + "\(report.versions) versions in \(report.files) \(report.files == 1 ? "file" : "files")")
        } else {
            Output.line("the latest checkpoint already covers every segment this device pushed")
        }
        if !report.removed.isEmpty {
            Output.line("\(would ? "would remove" : "removed") \(report.removed.count) covered files (\(ByteCount.text(report.removedBytes)))")
        }
        if report.tombstonesCollected > 0 {
            let count = report.tombstonesCollected
            Output.line("\(would ? "would leave" : "left") out \(count) \(count == 1 ? "deletion" : "deletions") every device has")
        }
        if report.tombstonesWaiting > 0 {
            let count = report.tombstonesWaiting
            Output.line("\(count) \(count == 1 ? "deletion waits" : "deletions wait") for every device and the tombstone grace (--tombstone-grace \(tombstoneGrace))")
        }
        if report.kept > 0, let at = report.removableAtMillis {
            Output.line("\(would ? "would keep" : "kept") \(report.kept) covered files until \(Self.time(at)) (--grace \(grace))")
        }
    }

    private static func time(_ millis: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
