import ArgumentParser
import TandemCore

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print an entry's value on this device.",
        discussion: "Example: tandem get friends alice")

    @Argument var context: String
    @Argument var key: String
    @Flag(help: "Print the canonical one-line form instead of indented JSON.") var compact = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try global.openStore(for: .reading)
        guard let entry = try store.entry(context: context, key: key) else {
            throw TandemError.noSuchEntry(context: context, key: key)
        }
        if output.json {
            Output.json(Output.entry(entry, names: try DeviceNames(store: store)))
            return
        }
        guard let value = entry.value else {
            let note = entry.state == .incoming ? " here (an incoming change waits: see 'tandem incoming')" : " here"
            throw TandemError.io(path: Escaped.entry(context, key), reason: (entry.local == nil ? "not present" : "deleted") + note)
        }
        Output.jsonText(compact ? value : Output.value(value).prettyText())
    }
}

struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete an entry on this device.",
        discussion: "The deletion waits to be pushed like any write. Example: tandem rm friends bob")

    @Argument var context: String
    @Argument var key: String
    @Flag(help: "Sync right after deleting.") var sync = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let device = try global.openDevice()
        let store = device.store
        if sync { try global.unlock(device) }
        let outcome = try store.write(context: context, key: key, value: nil)
        try await WriteReport.print(outcome, device: device, context: context, key: key, verb: "deleted", json: output.json, sync: sync, global: global)
    }
}

struct WipeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wipe",
        abstract: "Forget one context's local data on this device, as if the app were reinstalled.",
        discussion: """
            Local values, unpushed writes and refusals of the context are dropped; the vault keeps everything, \
            so every entry of the vault comes back as an incoming insert. Example: tandem wipe friends
            """)

    @Argument var context: String
    @OptionGroup var then: SyncAfterOptions
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let store = try global.openStore()
        let count = try store.wipeLocalContext(context)
        if output.json {
            Output.json(.object([("context", .string(context)), ("wiped", .number(String(count)))]))
        } else {
            Output.line("wiped \(count) local entries of \(context); the vault's entries now wait as incoming inserts")
        }
        try await then.run(global, json: output.json)
    }
}
