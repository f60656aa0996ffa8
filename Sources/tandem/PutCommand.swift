import ArgumentParser
import Foundation
import TandemCore

struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Write an entry's JSON value on this device.",
        discussion: """
            The value must be JSON; it is stored canonically (sorted keys, no extra whitespace), at most 1 MiB. \
            Writing the value an entry already holds creates no new version. The change waits to be pushed \
            until the next 'tandem sync' (or use --sync).

            Examples:
              tandem put friends alice '{"name": "Alice", "age": 30}'
              tandem put settings theme --file theme.json
              echo '"dark"' | tandem put settings mode -
            """)

    @Argument(help: "Context name: 1–64 of a–z, 0–9, '.', '_' and '-'.") var context: String
    @Argument(help: "Key: 1–512 bytes of UTF-8 without control characters.") var key: String
    @Argument(help: "The JSON value, or - to read it from stdin.") var value: String?
    @Option(help: ArgumentHelp("Read the value from this file.", valueName: "F")) var file: String?
    @Flag(help: "Sync right after writing.") var sync = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if (value == nil) == (file == nil) { throw ValidationError("give the value as an argument, '-' for stdin, or --file F (exactly one)") }
    }

    func run() async throws {
        let text: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw TandemError.io(path: file, reason: "cannot read the file") }
            guard let decoded = String(data: data, encoding: .utf8) else { throw TandemError.invalidJSON(reason: "\(file) is not UTF-8") }
            text = decoded
        } else if value == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let decoded = String(data: data, encoding: .utf8) else { throw TandemError.invalidJSON(reason: "stdin is not UTF-8") }
            text = decoded
        } else {
            text = value ?? ""
        }
        let device = try global.openDevice()
        let store = device.store
        // Asked before the write, so a wrong passphrase leaves nothing written.
        if sync { try global.unlock(device) }
        let outcome = try store.write(context: context, key: key, value: text)
        try await WriteReport.print(outcome, device: device, context: context, key: key, verb: "written", json: output.json, sync: sync, global: global)
    }
}

/// What the write commands print.
enum WriteReport {
    static func print(_ outcome: DeviceStore.WriteOutcome, device: Device, context: String, key: String, verb: String,
                      json: Bool, sync: Bool, global: GlobalOptions) async throws {
        let store = device.store
        var report: SyncReport?
        if sync, outcome != .unchanged {
            report = try await Synchronizer.syncShowingProgress(device, policies: PolicyMap.forPerson(stored: try store.policies()), logger: global.logger())
        }
        let label = Escaped.entry(context, key)
        // A sync that found this store to be a copy moved the write to the new device id.
        var shown = outcome
        if report?.identityChange != nil, case .written = outcome, let local = try store.entry(context: context, key: key)?.local {
            shown = .written(local)
        }
        if let report, !json {
            SyncCommand.warn(report)
        }
        if json {
            var members: [(key: String, value: JSONValue)] = [("context", .string(context)), ("key", .string(key))]
            switch shown {
            case .written(let version):
                members += [("changed", .bool(true)), ("version", .string(version.versionID))]
            case .unchanged:
                members.append(("changed", .bool(false)))
            }
            if let report { members.append(("pushed", .bool(report.online && report.waitingToPush == 0))) }
            Output.json(.object(members))
        } else {
            printLine(shown, label: label, verb: verb, report: report)
        }
        if let report, !report.problems.isEmpty { throw ExitCode(1) }
    }

    private static func printLine(_ shown: DeviceStore.WriteOutcome, label: String, verb: String, report: SyncReport?) {
        switch shown {
        case .unchanged:
            Output.line("\(label): unchanged (no new version)")
        case .written(let version):
            let where_: String
            if let report {
                where_ = report.online ? (report.waitingToPush == 0 ? "pushed" : "not pushed") : "queued (vault offline)"
            } else {
                where_ = "queued; 'tandem sync' pushes it"
            }
            Output.line("\(label): \(verb) (version \(version.versionID)), \(where_)")
        }
    }
}
