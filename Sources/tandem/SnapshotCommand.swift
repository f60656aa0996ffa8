import ArgumentParser
import Foundation
import TandemCore

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Back up a whole folder into the vault, and restore it on any device.",
        discussion: """
            Files are cut into content-defined chunks, compressed where it pays, sealed, and stored once \
            however many snapshots and devices hold them. The first snapshot of a folder reads everything; \
            the next read only files whose size, time or inode changed.
            """,
        subcommands: [Create.self, List.self, Show.self, Restore.self, Verify.self, Forget.self, History.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snapshot a folder: full the first time, then incremental.",
            discussion: "Example: tandem snapshot create ~/.local/share/myapp --tag nightly")

        @Argument(help: "The folder (or file) to back up.") var path: String
        @Option(help: "A name (default: the folder's).") var name: String?
        @Option(help: "A description.") var description = ""
        @Option(help: "A tag; repeat for several.") var tag: [String] = []
        @Flag(help: "Read every file again, even those unchanged since the last snapshot, and read back each chunk it reuses (a damaged one is written again).") var full = false
        @Option(help: "Files read at once.") var concurrency = 5
        @Option(help: "off, fast (zstd 1), standard (zstd 3) or max (zstd 11).") var compression: Compression = .standard
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency is 1–64") }
        }

        func run() throws {
            let device = try global.openUnlockedDevice()
            let bar = ProgressBar("backing up")
            defer { bar.finish() }
            let options = SnapshotOptions(name: name, description: description, tags: tag, full: full, concurrency: concurrency, compression: compression)
            try SnapshotOutput.report(json: output.json, verb: "snapshot", bar: bar) {
                try device.snapshots.createSnapshot(of: path, options: options, progress: bar.update)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the vault's snapshots.", discussion: "Example: tandem snapshot list --json")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let device = try global.openUnlockedDevice(for: .reading)
            let (manifests, problems) = try device.snapshots.snapshots()
            let names = try DeviceNames(device: device)
            let missing = try device.snapshots.missingChunks(of: manifests)
            if output.json {
                Output.json(.array(manifests.map { manifest in
                    guard case .object(var fields) = SnapshotOutput.summary(manifest, device: names[manifest.device]) else { return .null }
                    fields.append(("complete", .bool(missing[manifest.id] == nil)))
                    fields.append(("missingChunks", .number(String(missing[manifest.id] ?? 0))))
                    return .object(fields)
                }))
            } else if manifests.isEmpty {
                Output.line("no snapshots in the vault yet: tandem snapshot create PATH")
            } else {
                Output.line(pad("ID", 10) + pad("WHEN", 22) + pad("KIND", 9) + pad("DEVICE", 12) + pad("FILES", 7) + pad("SIZE", 11) + "NAME / SOURCE")
                for manifest in manifests {
                    Output.line(pad(manifest.shortID, 10) + pad(Output.time(manifest.finished), 22) + pad(manifest.kind, 9)
                          + pad(Escaped.text(names[manifest.device]), 12) + pad("\(manifest.nodes.filter { $0.kind == .file }.count)", 7)
                          + pad(ByteCount.text(manifest.bytes), 11) + Escaped.text(manifest.name) + "  " + Escaped.text(manifest.source)
                          + (missing[manifest.id].map { "  (not complete here: \($0) chunks not arrived yet)" } ?? ""))
                }
            }
            for problem in problems { Output.error(problem) }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "This device's snapshot runs, newest first: started, completed or failed, and why.",
            discussion: "A run still 'started' is running, or was killed (the next run marks it failed).\n\nExample: tandem snapshot history --json")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let records = try global.openStore(for: .reading).snapshotRecords()
            if output.json {
                Output.json(.array(records.map { record in
                    .object([
                        ("id", .string(record.id)), ("kind", .string(record.kind)), ("source", .string(record.source)),
                        ("status", .string(record.status)), ("message", record.message.map(JSONValue.string) ?? .null),
                        ("started", .string(Output.time(record.startedMillis))),
                        ("finished", record.finishedMillis.map { .string(Output.time($0)) } ?? .null),
                    ])
                }))
            } else if records.isEmpty {
                Output.line("no snapshot taken on this device yet: tandem snapshot create PATH")
            } else {
                Output.line(pad("ID", 10) + pad("STARTED", 22) + pad("KIND", 9) + pad("STATUS", 11) + "SOURCE · MESSAGE")
                for record in records {
                    Output.line(pad(String(record.id.prefix(8)), 10) + pad(Output.time(record.startedMillis), 22) + pad(record.kind, 9)
                          + pad(record.status, 11) + Escaped.text(record.source) + (record.message.map { " · " + Escaped.text($0) } ?? ""))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one snapshot and its files.", discussion: "Example: tandem snapshot show 3f9c2a81")
        @Argument(help: "The snapshot id, or its first digits.") var id: String
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let device = try global.openUnlockedDevice(for: .reading)
            let manifest = try device.snapshots.snapshot(id)
            let names = try DeviceNames(device: device)
            if output.json {
                var summary = SnapshotOutput.summary(manifest, device: names[manifest.device])
                if case .object(var members) = summary {
                    members.append(("nodes", .array(manifest.nodes.map {
                        .object([("path", .string($0.path)), ("kind", .string($0.kind.rawValue)), ("size", .number(String($0.size))),
                                 ("mode", .string(String($0.mode, radix: 8))), ("chunks", .number(String($0.chunks?.count ?? 0)))])
                    })))
                    summary = .object(members)
                }
                Output.json(summary)
                return
            }
            Output.line("snapshot \(manifest.id) · \(manifest.kind) \(Escaped.text(manifest.name)) of \(Escaped.text(manifest.source))")
            Output.line("taken by \(Escaped.text(names[manifest.device])) at \(Output.time(manifest.finished)), owner \(Escaped.text(manifest.owner))"
                  + (manifest.parent.map { ", incremental on \($0.prefix(8))" } ?? ", full"))
            if !manifest.description.isEmpty { Output.line("description: \(Escaped.text(manifest.description))") }
            if !manifest.tags.isEmpty { Output.line("tags: \(manifest.tags.map(Escaped.text).joined(separator: ", "))") }
            Output.line("\(manifest.nodes.filter { $0.kind == .file }.count) files, \(ByteCount.text(manifest.bytes)), \(manifest.skipped) special files skipped")
            for node in manifest.nodes where !node.path.isEmpty {
                let mark = node.kind == .directory ? "d" : node.kind == .symlink ? "l" : "-"
                let extra = node.kind == .symlink ? " -> " + Escaped.text(node.target ?? "") : ""
                Output.line("  \(mark) \(String(node.mode, radix: 8)) \(pad(ByteCount.text(node.size), 11))\(Escaped.text(node.path))\(extra)")
            }
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a snapshot into a new or empty folder; nothing is written outside it.",
            discussion: "Example: tandem snapshot restore 3f9c2a81 /tmp/restored --path photos/2026")
        @Argument(help: "The snapshot id, or its first digits.") var id: String
        @Argument(help: "A new or empty folder.") var target: String
        @Option(help: "Restore only this file or folder of the snapshot.") var path: String?
        @Option(help: "Files written at once.") var concurrency = 5
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency is 1–64") }
        }

        func run() throws {
            let device = try global.openUnlockedDevice()
            let bar = ProgressBar("restoring")
            defer { bar.finish() }
            try SnapshotOutput.report(json: output.json, verb: "restore", bar: bar) {
                try device.snapshots.restoreSnapshot(id, to: target, subpath: path, concurrency: max(1, concurrency), progress: bar.update)
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that a snapshot's chunks are all in the vault; with --read-data, open and re-hash each one.",
            discussion: "Example: tandem snapshot verify 3f9c2a81 --read-data")
        @Argument(help: "The snapshot id, or its first digits.") var id: String
        @Flag(help: "Read, open and re-hash every chunk.") var readData = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let device = try global.openUnlockedDevice()
            try SnapshotOutput.report(json: output.json, verb: "verify") { try device.snapshots.verifySnapshot(id, readData: readData) }
        }
    }

    struct Forget: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forget snapshots a retention policy does not keep (per source and device); --prune then removes unreferenced chunks.",
            discussion: """
                Prune removes packs whose chunks no snapshot references and rewrites packs that hold some, \
                but leaves packs younger than --grace (an hour), so it is safe while another device is backing up: \
                a backup writes its packs before its manifest and touches every pack it reuses a chunk from. \
                On a synced folder that may take longer than an hour to deliver those touches, raise --grace.

                Example: tandem snapshot forget --keep-last 3 --keep-daily 7 --prune
                """)
        @Option(help: "Keep the newest N.") var keepLast = 0
        @Option(help: "Keep the newest of each of the last N days that have one.") var keepDaily = 0
        @Option(help: "Keep the newest of each of the last N weeks that have one.") var keepWeekly = 0
        @Flag(help: "Then remove the chunks no snapshot references.") var prune = false
        @Option(help: "Seconds: packs touched more recently are left alone.") var grace = 3600
        @Flag(help: "Say what would go, change nothing.") var dryRun = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard keepLast > 0 || keepDaily > 0 || keepWeekly > 0 else {
                throw ValidationError("say what to keep: --keep-last N, --keep-daily N or --keep-weekly N")
            }
            guard grace >= 0 else { throw ValidationError("--grace is a number of seconds, 0 or more") }
        }

        func run() throws {
            let device = try global.openUnlockedDevice()
            let forgotten = try device.snapshots.forgetSnapshots(RetentionPolicy(last: keepLast, daily: keepDaily, weekly: keepWeekly), dryRun: dryRun)
            let pruned = prune ? try device.snapshots.pruneObjects(grace: TimeInterval(grace), dryRun: dryRun) : nil
            if output.json {
                var members: [(key: String, value: JSONValue)] = [
                    ("forgotten", .array(forgotten.forgotten.map(JSONValue.string))), ("kept", .array(forgotten.kept.map(JSONValue.string))),
                    ("dryRun", .bool(dryRun)),
                ]
                if let pruned {
                    members += [("objectsRemoved", .number(String(pruned.objectsRemoved))), ("bytesRemoved", .number(String(pruned.bytesRemoved))),
                                ("objectsSpared", .number(String(pruned.objectsSpared))), ("packsRemoved", .number(String(pruned.packsRemoved))),
                                ("packsRewritten", .number(String(pruned.packsRewritten)))]
                }
                Output.json(.object(members))
                return
            }
            let verb = dryRun ? "would forget" : "forgot"
            Output.line("\(verb) \(forgotten.forgotten.count) snapshots, kept \(forgotten.kept.count)")
            for id in forgotten.forgotten { Output.line("  \(id.prefix(8))") }
            if let pruned {
                Output.line("\(dryRun ? "would remove" : "removed") \(pruned.objectsRemoved) chunks (\(ByteCount.text(pruned.bytesRemoved)))"
                      + " by removing \(pruned.packsRemoved) packs and rewriting \(pruned.packsRewritten)"
                      + (pruned.objectsSpared > 0 ? "; spared \(pruned.objectsSpared) in packs touched less than \(grace) s ago" : ""))
            }
        }
    }
}

/// How backups and restores report: the result's figures, as text or JSON.
enum SnapshotOutput {
    /// Runs a backup, restore or verify and prints its result. With `--json`
    /// a failure is printed as a result too (status 2, the error as its
    /// message), so a script reads one JSON object either way.
    static func report(json: Bool, verb: String, bar: ProgressBar? = nil, _ operation: () throws -> SnapshotResult) throws {
        SignalCleanup.install()
        let result: SnapshotResult
        do {
            result = try operation()
        } catch let error as TandemError where json {
            bar?.finish()
            Output.error(error.description)
            try print(.failure(error.description), json: true, verb: verb)
            return
        }
        bar?.finish()
        try print(result, json: json, verb: verb)
    }

    static func print(_ result: SnapshotResult, json: Bool, verb: String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Output.jsonText(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            for error in result.errors.prefix(20) { Output.error(error) }
            if result.errors.count > 20 { Output.error("… and \(result.errors.count - 20) more") }
            var line = "\(verb) \(result.snapshotID.map { String($0.prefix(8)) } ?? ""): \(result.message) · status \(result.status) · "
            line += "\(result.fileCount) files, \(ByteCount.text(result.bytesProcessed)) processed, \(ByteCount.text(result.bytesWritten)) written"
            if result.filesUnchanged > 0 { line += ", \(result.filesUnchanged) files unchanged" }
            if result.skippedSpecial > 0 { line += ", \(result.skippedSpecial) special files skipped" }
            line += String(format: " · %.2f s", result.durationSeconds)
            Output.line(line)
        }
        if result.status != 0 { throw ExitCode(1) }
    }

    static func summary(_ manifest: SnapshotManifest, device: String) -> JSONValue {
        .object([
            ("id", .string(manifest.id)), ("kind", .string(manifest.kind)), ("name", .string(manifest.name)),
            ("description", .string(manifest.description)), ("tags", .array(manifest.tags.map(JSONValue.string))),
            ("source", .string(manifest.source)), ("device", .string(device)), ("owner", .string(manifest.owner)),
            ("parent", manifest.parent.map(JSONValue.string) ?? .null), ("finished", .string(Output.time(manifest.finished))),
            ("files", .number(String(manifest.nodes.filter { $0.kind == .file }.count))), ("bytes", .number(String(manifest.bytes))),
        ])
    }
}

extension Compression: ExpressibleByArgument {}
