import ArgumentParser
import TandemCore

struct IncomingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incoming",
        abstract: "List the other devices' changes that wait for a decision here.",
        discussion: """
            Each line shows the change's id (for accept, refuse, keep-mine), whether it inserts, edits or deletes, \
            the entry, the device and time it came from, and the value before and after.
            Example: tandem incoming --context friends
            """)

    @Option(help: "Only this context.") var context: String?
    @Flag(help: "Also list changes refused here.") var refused = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try global.openStore(for: .reading)
        let entries = try store.entries(context: context, states: refused ? [.incoming, .refused] : [.incoming])
        let names = try DeviceNames(store: store)
        if output.json {
            Output.json(.array(entries.map { Output.entry($0, names: names) }))
            return
        }
        guard !entries.isEmpty else { Output.line("no incoming changes"); return }
        for entry in entries {
            guard let version = entry.unseen.first, let id = entry.changeID else { continue }
            let mark = entry.state == .refused ? " (refused here)" : ""
            Output.line("\(id)  \(pad(entry.incomingKind?.rawValue ?? "change", 9))\(Escaped.entry(entry.context, entry.key))  from \(Escaped.text(names[version.origin])), \(Output.time(version.timestamp.wallMillis))\(mark)")
            switch entry.incomingKind {
            case .insert?: Output.line("    + \(Output.short(version.value, width: 100))")
            case .deletion?: Output.line("    - \(Output.short(entry.value, width: 100))")
            default:
                Output.line("    - \(Output.short(entry.value, width: 100))")
                Output.line("    + \(Output.short(version.value, width: 100))")
            }
        }
    }
}

/// The arguments of accept, refuse and keep-mine.
struct DecisionTargets: ParsableArguments {
    @Argument(help: "Ids of changes, as 'tandem incoming' shows them.") var ids: [String] = []
    @Flag(help: "Every waiting change (of --context, if given).") var all = false
    @Option(help: "With --all: only this context.") var context: String?

    func validate() throws {
        if ids.isEmpty == !all { throw ValidationError("give change ids, or --all (not both)") }
        if context != nil && !all { throw ValidationError("--context goes with --all") }
    }
}

/// Finds the targeted changes and applies one decision to each.
enum DecisionRunner {
    static func run(_ decision: Decision, targets: DecisionTargets, global: GlobalOptions, json: Bool, syncs: Bool = false) throws {
        let store = try global.openStore()
        let waiting = try store.entries(context: targets.context, states: targets.all ? [.incoming] : decision.appliesTo)
        var chosen: [EntryStatus] = []
        if targets.all {
            chosen = waiting
        } else {
            let byID = Dictionary(waiting.compactMap { entry in entry.changeID.map { ($0, entry) } }, uniquingKeysWith: { a, _ in a })
            for id in targets.ids {
                guard let entry = byID[id] else { throw TandemError.noSuchChange(id) }
                chosen.append(entry)
            }
        }
        var results: [JSONValue] = []
        // Decided together, taken back together by one tandem undo.
        let action = chosen.count > 1 ? try store.newAction() : nil
        for entry in chosen {
            let after = try store.decide(decision, context: entry.context, key: entry.key, action: action)
            results.append(.object([("id", .string(entry.changeID ?? "")), ("context", .string(entry.context)),
                                    ("key", .string(entry.key)), ("state", .string(after.state.rawValue))]))
            if !json {
                Output.line("\(decision.rawValue): \(Escaped.entry(entry.context, entry.key)) → \(after.state.rawValue)")
            }
        }
        if json {
            Output.json(.array(results))
        } else if chosen.isEmpty {
            Output.line("nothing to \(decision.rawValue)")
        } else if decision == .keepMine && !syncs {
            Output.line("your versions wait to be pushed: tandem sync")
        }
    }
}

struct AcceptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept", abstract: "Take incoming changes: local becomes the vault's version.",
        discussion: "Examples: tandem accept 3f9c2a81d0; tandem accept --all --context friends")
    @OptionGroup var targets: DecisionTargets
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var then: SyncAfterOptions
    func run() async throws {
        try DecisionRunner.run(.accept, targets: targets, global: global, json: output.json)
        try await then.run(global, json: output.json)
    }
}

struct RefuseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refuse", abstract: "Keep local data; the refused version is not asked again and nothing is published.",
        discussion: "Example: tandem refuse 3f9c2a81d0")
    @OptionGroup var targets: DecisionTargets
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var then: SyncAfterOptions
    func run() async throws {
        try DecisionRunner.run(.refuse, targets: targets, global: global, json: output.json)
        try await then.run(global, json: output.json)
    }
}

struct KeepMineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keep-mine", abstract: "Publish this device's data as a version that supersedes the vault's, on every device.",
        discussion: "Example: tandem keep-mine 3f9c2a81d0 && tandem sync")
    @OptionGroup var targets: DecisionTargets
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var then: SyncAfterOptions
    func run() async throws {
        try DecisionRunner.run(.keepMine, targets: targets, global: global, json: output.json, syncs: then.sync)
        try await then.run(global, json: output.json)
    }
}

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List entries whose versions conflict, each version labelled by device and time.",
        discussion: "Example: tandem conflicts --json")

    @Option(help: "Only this context.") var context: String?
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try global.openStore(for: .reading)
        let entries = try store.entries(context: context, states: [.conflict])
        let names = try DeviceNames(store: store)
        if output.json {
            Output.json(.array(entries.map { Output.entry($0, names: names) }))
            return
        }
        guard !entries.isEmpty else { Output.line("no conflicts"); return }
        for entry in entries {
            Output.line("⚠ \(Escaped.entry(entry.context, entry.key))")
            if let local = entry.local {
                Output.line("    \(pad(names.label(local.origin) + ", " + Output.time(local.timestamp.wallMillis), 44)) here: \(Output.short(local.value, width: 70))")
            } else {
                Output.line("    \(pad("this device", 44)) here: (absent)")
            }
            for version in entry.unseen {
                Output.line("    \(pad(names.label(version.origin) + ", " + Output.time(version.timestamp.wallMillis), 44)) \(Output.short(version.value, width: 76))")
            }
        }
        Output.line("resolve with: tandem resolve CONTEXT KEY --keep local|remote [--from DEVICE] | --value JSON")
    }
}

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolve a conflict by publishing one version that supersedes all of them.",
        discussion: """
            --keep local keeps this device's value on every device; --keep remote takes another device's \
            (the deterministic winner, or the one --from names); --value publishes a merged value. \
            The resolution reaches the other devices as an ordinary edit at the next sync.

            Examples:
              tandem resolve friends alice --keep local
              tandem resolve friends alice --keep remote --from phone
              tandem resolve friends alice --value '{"name": "Alice", "age": 31}'
            """)

    enum Side: String, ExpressibleByArgument { case local, remote }

    @Argument var context: String
    @Argument var key: String
    @Option(help: "local or remote.") var keep: Side?
    @Option(help: ArgumentHelp("With --keep remote: the device whose version to take.", valueName: "DEVICE")) var from: String?
    @Option(help: ArgumentHelp("Publish this JSON value instead.", valueName: "JSON")) var value: String?
    @OptionGroup var then: SyncAfterOptions
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if (keep == nil) == (value == nil) { throw ValidationError("give --keep local|remote or --value JSON (exactly one)") }
        if from != nil && keep != .remote { throw ValidationError("--from goes with --keep remote") }
    }

    func run() async throws {
        let store = try global.openStore()
        let resolution: Resolution
        switch (keep, value) {
        case (.local?, _): resolution = .keepLocal
        case (.remote?, _):
            var device: DeviceID?
            if let from {
                let names = try DeviceNames(store: store)
                guard let id = names.names.first(where: { $0.value == from || $0.key.rawValue == from })?.key else {
                    throw TandemError.noSuchVersion(context: context, key: key, device: from)
                }
                device = id
            }
            resolution = .takeRemote(device: device)
        default: resolution = .merge(value: value)
        }
        let after = try store.resolve(context: context, key: key, resolution)
        if output.json {
            Output.json(Output.entry(after, names: try DeviceNames(store: store)))
        } else {
            Output.line("resolved \(Escaped.entry(context, key)): \(Output.short(after.value))" + (then.sync ? "" : " — waits to be pushed: tandem sync"))
        }
        try await then.run(global, json: output.json)
    }
}

struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Take back the latest accept, refuse, keep-mine or resolve taken on this device, if nothing has changed the entry since.",
        discussion: """
            A keep-mine or a resolution can be taken back until a sync publishes it; an accept or a refuse until a \
            sync, a write or another decision changes the entry. Decisions taken together (accept --all, A in the UI) \
            are taken back together. Run it again to take back the one before.

            Example: tandem accept 3f9c2a81d0 && tandem undo
            """)
    @OptionGroup var then: SyncAfterOptions
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let undone = try global.openDevice().undoLastDecision()
        let entry = undone.status
        if output.json {
            Output.json(.object([("undone", .string(undone.label)), ("context", .string(entry.context)), ("key", .string(entry.key)),
                                 ("state", .string(entry.state.rawValue)), ("count", .number(String(undone.count))),
                                 ("changedSince", .number(String(undone.changedSince)))]))
        } else if undone.count > 1 {
            Output.line("undid \(undone.label) of \(undone.count - undone.changedSince) changes"
                        + (undone.changedSince > 0 ? "; \(undone.changedSince) changed since and were left as they are" : ""))
        } else {
            Output.line("undid \(undone.label): \(Escaped.entry(entry.context, entry.key)) → \(entry.state.rawValue)")
        }
        try await then.run(global, json: output.json)
    }
}
