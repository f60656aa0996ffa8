import ArgumentParser
import TandemCore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pull the other devices' changes, apply what the policy allows, push this device's changes.",
        discussion: """
            With policy review (the default) incoming changes wait for 'tandem accept' or 'tandem refuse'; \
            with accept they are applied, and conflicts take the deterministic winner and stay listed. \
            A vault that cannot be reached is not an error: the changes wait for the next sync. \
            A damaged file is reported with its path and skipped (exit 1); the other devices still sync.

            Examples: tandem sync; tandem sync --policy accept --json
            """)

    @Option(help: "Policy for every context in this sync (review or accept; default: each context's own, else review).")
    var policy: SyncPolicy?
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if policy == .handlers { throw ValidationError("the handlers policy needs an app's handlers; use review or accept") }
    }

    func run() async throws {
        let device = try global.openUnlockedDevice()
        let store = device.store
        let policies = try policy.map { PolicyMap.all($0) } ?? PolicyMap.forPerson(stored: store.policies())
        let report = try await Synchronizer.syncShowingProgress(device, policies: policies, logger: global.logger())
        if output.json {
            Output.json(SyncCommand.json(report))
        } else {
            SyncCommand.describe(report)
        }
        if !report.problems.isEmpty { throw ExitCode(1) }
    }

    static func describe(_ report: SyncReport) {
        warn(report)
        for gap in report.gaps where !gap.isHole { Output.warning(gap.description) }
        guard report.online else {
            Output.line("offline: the vault cannot be reached; \(report.waitingToPush) changes wait to be pushed")
            return
        }
        let read = report.checkpointsPulled > 0 ? "\(report.segmentsPulled) segments, \(report.checkpointsPulled) checkpoint\(report.checkpointsPulled == 1 ? "" : "s")" : "\(report.segmentsPulled) segments"
        var line = "pulled \(report.changesPulled) changes (\(read)), pushed \(report.changesPushed) (\(report.segmentsPushed) segments)"
        if report.applied > 0 { line += ", applied \(report.applied)" }
        Output.line(line)
        if report.waiting > 0 { Output.line("\(report.waiting) incoming changes wait for a decision: tandem incoming") }
        if report.conflicts > 0 { Output.line("\(report.conflicts) conflicts: tandem conflicts") }
        if report.needsNewerApp > 0 {
            Output.line("\(report.needsNewerApp) entries were written by a newer app and are kept untouched: tandem ls --state needs-newer-app")
        }
    }

    /// What a sync found that a person must read, on stderr: a store that
    /// became a device of its own, the files it could not use, what it
    /// republished. `sync` and `put --sync` say the same.
    static func warn(_ report: SyncReport) {
        if let change = report.identityChange { Output.warning(change.description) }
        for problem in report.problems { Output.error(problem.message) }
        if let restated = report.restated {
            Output.warning("the vault had lost part of this device's log: republished the latest version of its \(restated) entries")
        }
        for notice in report.notices { Output.warning(notice) }
    }

    static func json(_ report: SyncReport) -> JSONValue {
        func number(_ value: Int) -> JSONValue { .number(String(value)) }
        return .object([
            ("online", .bool(report.online)), ("segmentsPulled", number(report.segmentsPulled)),
            ("checkpointsPulled", number(report.checkpointsPulled)),
            ("changesPulled", number(report.changesPulled)), ("applied", number(report.applied)),
            ("refused", number(report.refused)), ("waiting", number(report.waiting)), ("conflicts", number(report.conflicts)),
            ("segmentsPushed", number(report.segmentsPushed)), ("changesPushed", number(report.changesPushed)),
            ("waitingToPush", number(report.waitingToPush)), ("needsNewerApp", number(report.needsNewerApp)),
            ("problems", .array(report.problems.map { .object([("path", .string($0.path)), ("message", .string($0.message))]) })),
            ("copiedFrom", report.identityChange.map { .object([("was", .string($0.was.rawValue)), ("now", .string($0.now.rawValue)),
                                                                  ("reason", .string($0.reason))]) } ?? .null),
            ("gaps", .array(report.gaps.map(StatusCommand.json))),
            ("restated", report.restated.map { .number(String($0)) } ?? .null),
        ])
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show this device, its vault, whether it is online, and counts per state.",
        discussion: "Example: tandem status --json")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let device = try global.openDevice(for: .reading)
        let store = device.store
        let info = try store.info()
        let vault = Vault(root: .init(fileURLWithPath: info.vaultPath))
        let online = vault.isReachable
        let counts = try store.counts()
        let gaps = try store.logGaps()
        let records = device.deviceRecordListing()
        var names = Dictionary(records.records.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        names[info.id] = info.name
        let clocksAhead = try store.clocksAhead()
        let strays = online ? vault.strayCopies() : []
        if output.json {
            func number(_ value: Int) -> JSONValue { .number(String(value)) }
            Output.json(.object([
                ("tandem", .string(Tandem.version)), ("device", .string(info.name)), ("id", .string(info.id.rawValue)),
                ("vault", .string(info.vaultPath)),
                ("online", .bool(online)), ("lastSync", info.lastSyncMillis.map { .string(Output.time($0)) } ?? .null),
                ("pushedSeq", .number(String(info.pushedSeq))),
                ("counts", .object([("inSync", number(counts.inSync)), ("outgoing", number(counts.outgoing)),
                                    ("incoming", number(counts.incoming)), ("conflicts", number(counts.conflicts)),
                                    ("refused", number(counts.refused)), ("needsNewerApp", number(counts.needsNewerApp)),
                                    ("waitingToPush", number(counts.waitingToPush))])),
                ("clocksAhead", DeviceNotes.json(clocksAhead, names: names)),
                ("problems", DeviceNotes.problems(records.damaged)),
                ("copiedFrom", info.copiedFrom.map { .string($0.rawValue) } ?? .null),
                ("gaps", .array(gaps.map(StatusCommand.json))),
                ("strayCopies", .array(strays.map { .object([("path", .string($0.path)), ("advice", .string($0.advice))]) })),
            ]))
            return
        }
        DeviceNotes.warn(records.damaged)
        Output.line("device   \(info.name) (\(info.id))" + (info.copiedFrom.map { ", a copy of device \($0)'s store that became a device of its own" } ?? ""))
        Output.line("vault    \(info.vaultPath) — \(online ? "online" : "offline")")
        Output.line("synced   " + (info.lastSyncMillis.map { "\(Output.time($0)) (\(Output.age($0)))" } ?? "never"))
        Output.line("entries  ✓ \(counts.inSync) in sync · ↑ \(counts.outgoing) outgoing · ↓ \(counts.incoming) incoming · ⚠ \(counts.conflicts) conflicts · ⊘ \(counts.refused) refused")
        if counts.needsNewerApp > 0 {
            Output.line("         ⇡ \(counts.needsNewerApp) need a newer app (written with a newer schema; kept untouched)")
        }
        for ahead in clocksAhead {
            Output.line("clocks   ⚠ " + DeviceNotes.clockAhead(ahead, name: names[ahead.device] ?? ahead.device.rawValue))
        }
        for stray in strays { Output.line("vault    ⚠ \(Escaped.text(stray.description))") }
        if !records.damaged.isEmpty {
            let count = records.damaged.count
            Output.line("records  ⚠ \(count) device \(count == 1 ? "record is" : "records are") damaged (named above); 'tandem device list' shows their devices by id")
        }
        if counts.waitingToPush > 0 {
            Output.line("\(counts.waitingToPush) changes wait to be pushed" + (online ? ": tandem sync" : " (the vault is offline)"))
        }
        for gap in gaps { Output.line("waiting  " + gap.description) }
    }

    static func json(_ gap: LogGap) -> JSONValue {
        .object([("device", .string(gap.device.rawValue)), ("name", .string(gap.name)), ("missing", .number(String(gap.missing))),
                 ("pushed", .number(String(gap.pushed))), ("latest", .number(String(gap.latest))), ("hole", .bool(gap.isHole)),
                 ("message", .string(gap.description))])
    }
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show what sync and decisions did on this device, newest first.",
        discussion: "Example: tandem log --limit 20")

    @Option(help: "How many lines.") var limit = 50
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let events = try global.openStore(for: .reading).events(limit: limit)
        if output.json {
            Output.json(.array(events.map { .object([("at", .string(Output.time($0.atMillis))), ("level", .string($0.level)), ("message", .string($0.message))]) }))
            return
        }
        for event in events {
            Output.line("\(Output.time(event.atMillis))  \(pad(event.level, 8))\(event.message)")
        }
    }
}
