import ArgumentParser
import TandemCore

extension EntryState: ExpressibleByArgument {}
extension SyncPolicy: ExpressibleByArgument {}

struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List entries with their state: in-sync ✓, outgoing ↑, incoming ↓, conflict ⚠, refused ⊘, needs a newer app ⇡.",
        discussion: """
            An entry that needs a newer app holds a version written with a newer schema of its context than this \
            device knows: it is kept untouched (and cannot be written here) until the context is migrated.
            Examples: tandem ls; tandem ls friends --state incoming; tandem ls --state needs-newer-app; tandem ls --json
            """)

    @Argument(help: "Only this context.") var context: String?
    @Option(help: "Only entries in this state (in-sync, outgoing, incoming, conflict, refused, needs-newer-app).") var state: [EntryState] = []
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try global.openStore(for: .reading)
        let entries = try store.entries(context: context, states: state.isEmpty ? nil : Set(state))
        let names = try DeviceNames(store: store)
        if output.json {
            Output.json(.array(entries.map { Output.entry($0, names: names) }))
            return
        }
        guard !entries.isEmpty else {
            Output.line(context.map { "no entries in \($0)" } ?? "no entries")
            return
        }
        let keyWidth = min(40, entries.map { Escaped.entry($0.context, $0.key).count }.max() ?? 10) + 2
        for entry in entries {
            let label = Escaped.entry(entry.context, entry.key)
            if let newer = entry.newerSchema {
                Output.line("\(entry.state.mark) " + pad(label, keyWidth) + "needs a newer app (schema \(newer); this app knows \(entry.knownSchema))  "
                      + Output.short(entry.value))
                continue
            }
            // The row shows what this device has; a change waiting here or refused is named beside it.
            var line = "\(entry.state.mark) " + pad(label, keyWidth) + pad(entry.state.rawValue, 10)
                + (entry.local == nil ? "(nothing here)" : Output.short(entry.value, width: 40))
            if let change = entry.unseen.first, entry.state == .incoming || entry.state == .refused {
                let kind = entry.incomingKind?.rawValue ?? "change"
                let what = change.value.map { " " + Output.short($0, width: 30) } ?? ""
                line += "  (\(entry.state == .refused ? "refused" : "waits:") \(kind)\(what) from \(Escaped.text(names[change.origin])))"
            } else if let origin = entry.local?.origin, origin != names.me {
                line += "  (from \(Escaped.text(names[origin])))"
            }
            Output.line(line)
        }
    }
}

struct ContextsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contexts",
        abstract: "List the contexts this device knows, with policy, schema version and counts per state and per schema.",
        discussion: "Example: tandem contexts --json")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try global.openStore(for: .reading)
        let contexts = try store.contexts()
        if output.json {
            Output.json(.array(contexts.map { summary in
                .object([("name", .string(summary.name)), ("policy", .string(summary.policy.rawValue)),
                         ("schema", .number(String(summary.schema))), ("entries", .number(String(summary.entries))),
                         ("states", .object(summary.states.map { ($0.key, .number(String($0.value))) })),
                         ("entriesBySchema", .object(summary.entriesBySchema.map { (String($0.key), .number(String($0.value))) }))])
            }))
            return
        }
        guard !contexts.isEmpty else { Output.line("no contexts yet"); return }
        Output.line(pad("CONTEXT", 24) + pad("POLICY", 10) + pad("SCHEMA", 8) + pad("ENTRIES", 9) + pad("BY SCHEMA", 18) + "STATES")
        for summary in contexts {
            let states = EntryState.allCases.compactMap { state in summary.states[state.rawValue].map { "\(state.mark) \($0) \(state.rawValue)" } }
            let bySchema = summary.entriesBySchema.sorted { $0.key < $1.key }.map { "v\($0.key): \($0.value)" }.joined(separator: ", ")
            Output.line(pad(summary.name, 24) + pad(summary.policy.rawValue, 10) + pad("v\(summary.schema)", 8) + pad(String(summary.entries), 9)
                  + pad(bySchema.isEmpty ? "-" : bySchema, 18) + states.joined(separator: ", "))
        }
    }
}
