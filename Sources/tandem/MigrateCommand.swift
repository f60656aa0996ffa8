import ArgumentParser
import Foundation
import TandemCore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move a context to a newer schema with a migrations file, migrating this device's entries.",
        discussion: """
            The file names its context and lists steps from one schema version to the next, each a list of \
            operations on the entry's JSON object: add, remove, rename (a field), default (set if absent). \
            The context moves to the highest version; every local entry of an older schema is migrated in \
            one transaction (a failure or a crash changes nothing; a second run changes nothing). The steps \
            are kept, so that entries of older schemas read later from the vault are migrated as they are \
            applied. Migrated entries are published by the next 'tandem sync'.

            Example file:
              {"context": "friends", "migrations": [
                {"from": 1, "to": 2, "operations": [
                  {"op": "rename", "from": "/name", "path": "/fullName"},
                  {"op": "default", "path": "/tags", "value": []}]}]}

            Examples: tandem migrate friends.migrations.json --dry-run; tandem migrate friends.migrations.json
            """)

    @Argument(help: "The context's migrations file (JSON).") var file: String
    @Flag(help: "Show what would change; write nothing.") var dryRun = false
    @OptionGroup var then: SyncAfterOptions
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if dryRun && then.sync { throw ValidationError("--dry-run writes nothing, so there is nothing to --sync") }
    }

    func run() async throws {
        let migrations = try MigrationsFile.load(file)
        let store = try global.openStore()
        let pause = MigrationPauseHook.fromEnvironment()
        let report = try store.migrateContext(migrations.context, to: migrations.target, installing: migrations, dryRun: dryRun) { _ in
            pause?.entryMigrated()
        }
        if output.json {
            Output.json(Self.json(report))
        } else {
            Self.describe(report)
        }
        try await then.run(global, json: output.json)
    }

    static func describe(_ report: MigrationReport) {
        let verb = report.dryRun ? "would migrate" : "migrated"
        if report.changedNothing {
            Output.line("\(report.context): already at schema \(report.to); nothing to migrate (\(entries(report.alreadyCurrent)))")
            return
        }
        Output.line("\(report.context): schema \(report.from) → \(report.to); \(verb) \(entries(report.migrated.count)), \(report.alreadyCurrent) already at \(report.to)")
        for entry in report.migrated {
            Output.line("  \(Escaped.text(entry.key))  (schema \(entry.fromSchema), \(entry.outcome.rawValue))")
            Output.line("    - \(Output.short(entry.before, width: 100))")
            Output.line("    + \(Output.short(entry.after, width: 100))")
        }
        if report.dryRun {
            Output.line("dry run: nothing was written")
        } else if report.migrated.contains(where: { $0.outcome == .published }) {
            Output.line("publish them with: tandem sync")
        }
    }

    private static func entries(_ count: Int) -> String {
        count == 1 ? "1 entry" : "\(count) entries"
    }

    static func json(_ report: MigrationReport) -> JSONValue {
        .object([
            ("context", .string(report.context)), ("from", .number(String(report.from))), ("to", .number(String(report.to))),
            ("dryRun", .bool(report.dryRun)), ("alreadyCurrent", .number(String(report.alreadyCurrent))),
            ("migrated", .array(report.migrated.map { entry in
                .object([("key", .string(entry.key)), ("fromSchema", .number(String(entry.fromSchema))),
                         ("before", Output.value(entry.before)), ("after", Output.value(entry.after)),
                         ("outcome", .string(entry.outcome.rawValue))])
            })),
        ])
    }
}

/// A hook for the crash tests: with `TANDEM_TEST_MIGRATION_PAUSE_AFTER=N`
/// and `TANDEM_TEST_MIGRATION_PAUSE_MARKER=PATH`, the process creates PATH
/// after rewriting N entries and then waits, inside the open transaction,
/// until it is killed.
struct MigrationPauseHook {
    var after: Int
    var marker: String
    private let migrated = Counter()

    static func fromEnvironment() -> MigrationPauseHook? {
        let environment = ProcessInfo.processInfo.environment
        guard let count = environment["TANDEM_TEST_MIGRATION_PAUSE_AFTER"].flatMap({ Int($0) }),
              let marker = environment["TANDEM_TEST_MIGRATION_PAUSE_MARKER"] else { return nil }
        return MigrationPauseHook(after: count, marker: marker)
    }

    func entryMigrated() {
        migrated.value += 1
        guard migrated.value == after else { return }
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
        while true { sleep(60) }
    }

    private final class Counter { var value = 0 }
}
