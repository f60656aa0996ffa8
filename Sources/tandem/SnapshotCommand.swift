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
        subcommands: [Create.self, List.self, Show.self, Restore.self, Verify.self, Forget.self, Prune.self, History.self])

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
            LargeBuffers.returnedWhenFreed()
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
            abstract: "Forget snapshots a retention policy does not keep (per source and device); --prune then prunes (see 'snapshot prune').",
            discussion: """
                Example: tandem snapshot forget --keep-last 3 --keep-daily 7 --prune
                """)
        @Option(help: "Keep the newest N.") var keepLast = 0
        @Option(help: "Keep the newest of each of the last N days that have one.") var keepDaily = 0
        @Option(help: "Keep the newest of each of the last N weeks that have one.") var keepWeekly = 0
        @Flag(help: "Then prune: condemn the packs that hold chunks no snapshot references, remove those condemned a grace ago.")
        var prune = false
        @OptionGroup var pruning: PruneOptions
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard keepLast > 0 || keepDaily > 0 || keepWeekly > 0 else {
                throw ValidationError("say what to keep: --keep-last N, --keep-daily N or --keep-weekly N")
            }
        }

        func run() throws {
            let device = try global.openUnlockedDevice()
            let dryRun = pruning.dryRun
            let forgotten = try device.snapshots.forgetSnapshots(RetentionPolicy(last: keepLast, daily: keepDaily, weekly: keepWeekly), dryRun: dryRun)
            // A dry run forgets nothing, so the prune it describes must count those manifests as gone.
            let pruned = prune ? try device.snapshots.pruneObjects(grace: TimeInterval(pruning.grace), dryRun: dryRun,
                                                                   forgetting: Set(forgotten.forgotten)) : nil
            if output.json {
                var members: [(key: String, value: JSONValue)] = [
                    ("forgotten", .array(forgotten.forgotten.map(JSONValue.string))), ("kept", .array(forgotten.kept.map(JSONValue.string))),
                    ("dryRun", .bool(dryRun)),
                ]
                if let pruned { members += PruneOutput.members(pruned) }
                Output.json(.object(members))
                return
            }
            Output.line("\(dryRun ? "would forget" : "forgot") \(forgotten.forgotten.count) snapshots, kept \(forgotten.kept.count)")
            for id in forgotten.forgotten { Output.line("  \(id.prefix(8))") }
            if let pruned { PruneOutput.lines(pruned, dryRun: dryRun, grace: pruning.grace) }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Free the space of chunks no snapshot references, in two steps a grace apart.",
            discussion: """
                A prune condemns the packs older than --grace that hold chunks no snapshot references, and records them \
                in the vault: from then on no backup on any device reuses them. A later prune, at least --grace after, \
                removes them, or rewrites them with the chunks a snapshot that arrived meanwhile still needs; a pack \
                touched since it was condemned waits again. Each prune does both steps, so running it daily frees \
                yesterday's waste. The grace (an hour) must exceed the time the vault's folder takes to deliver a file \
                to every device: on a folder synced across machines that can be offline, raise it.

                Example: tandem snapshot prune --dry-run
                """)
        @OptionGroup var pruning: PruneOptions
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let device = try global.openUnlockedDevice()
            let pruned = try device.snapshots.pruneObjects(grace: TimeInterval(pruning.grace), dryRun: pruning.dryRun)
            if output.json {
                Output.json(.object([("dryRun", .bool(pruning.dryRun))] + PruneOutput.members(pruned)))
            } else {
                PruneOutput.lines(pruned, dryRun: pruning.dryRun, grace: pruning.grace)
            }
        }
    }
}

struct PruneOptions: ParsableArguments {
    @Option(help: "Seconds: packs touched more recently are not condemned, and condemned packs wait this long before they go.")
    var grace = 3600
    @Flag(help: "Say exactly what the prune would do; change nothing.") var dryRun = false

    func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace is a number of seconds, 0 or more") }
    }
}

/// What a prune did, or would do, as lines or JSON members.
enum PruneOutput {
    static func members(_ pruned: MaintenanceReport) -> [(key: String, value: JSONValue)] {
        func number<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }
        return [
            ("objectsRemoved", number(pruned.objectsRemoved)), ("bytesRemoved", number(pruned.bytesRemoved)),
            ("objectsSpared", number(pruned.objectsSpared)), ("packsRemoved", number(pruned.packsRemoved)),
            ("packsRewritten", number(pruned.packsRewritten)), ("packsCondemned", number(pruned.packsCondemned)),
            ("objectsCondemned", number(pruned.objectsCondemned)), ("bytesCondemned", number(pruned.bytesCondemned)),
            ("packsWaiting", number(pruned.packsWaiting)),
            ("nextRemoval", pruned.nextRemovalMillis.map { .string(Output.time($0)) } ?? .null),
            ("unreadableRecords", .array(pruned.unreadableRecords.map(JSONValue.string))),
        ]
    }

    static func lines(_ pruned: MaintenanceReport, dryRun: Bool, grace: Int) {
        let would = dryRun ? "would " : ""
        for record in pruned.unreadableRecords {
            Output.warning("\(record); the packs it names are not known, and backups may reuse them")
        }
        if pruned.packsRemoved + pruned.packsRewritten > 0 {
            Output.line("\(dryRun ? "would remove" : "removed") \(pruned.objectsRemoved) unused chunks (\(ByteCount.text(pruned.bytesRemoved)))"
                        + " by removing \(pruned.packsRemoved) condemned packs and rewriting \(pruned.packsRewritten)")
        }
        if pruned.packsCondemned > 0 {
            let due = Output.time(Int64((Date().timeIntervalSince1970 + Double(grace)) * 1000))
            Output.line("\(would)condemn\(dryRun ? "" : "ed") \(pruned.packsCondemned) packs holding \(pruned.objectsCondemned) unused chunks"
                        + " (\(ByteCount.text(pruned.bytesCondemned))); a prune after \(due) removes them")
        }
        if pruned.packsWaiting > 0, let next = pruned.nextRemovalMillis {
            Output.line("\(pruned.packsWaiting) packs condemned earlier wait for their grace; a prune after \(Output.time(next)) removes the first")
        }
        if pruned.objectsSpared > 0 {
            Output.line("spared \(pruned.objectsSpared) unused chunks in packs touched less than \(grace) s ago")
        }
        if pruned.packsRemoved + pruned.packsRewritten + pruned.packsCondemned + pruned.packsWaiting + pruned.objectsSpared == 0 {
            Output.line("nothing to prune: every chunk in the vault is in a snapshot")
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
