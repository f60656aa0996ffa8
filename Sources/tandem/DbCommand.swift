import ArgumentParser
import Foundation
import TandemCore

struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Back up and restore an app's SQLite database while the app keeps running.",
        subcommands: [Backup.self, Restore.self, Age.self])

    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a SQLite database with the online backup API, check the copy, and snapshot it.",
            discussion: "Example: tandem db backup ~/.local/share/myapp/messages.sqlite")
        @Argument(help: "The database file.") var database: String
        @Option(help: "A name (default: the file's).") var name: String?
        @Option(help: "A tag; repeat for several.") var tag: [String] = []
        @Option(help: "off, fast (zstd 1), standard (zstd 3) or max (zstd 11).") var compression: Compression = .fast
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let device = try global.openUnlockedDevice()
            let bar = ProgressBar("backing up")
            defer { bar.finish() }
            try SnapshotOutput.report(json: output.json, verb: "db backup", bar: bar) {
                try device.snapshots.backupDatabase(at: database, options: SnapshotOptions(name: name, tags: tag, compression: compression), progress: bar.update)
            }
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a database backup; refused for another owner's backup, and over an existing file without --force.",
            discussion: "Example: tandem db restore 3f9c2a81 ~/.local/share/myapp/messages.sqlite --force")
        @Argument(help: "The snapshot id, or its first digits.") var id: String
        @Argument(help: "Where to put the database.") var database: String
        @Flag(help: "Replace an existing file (close the app first).") var force = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let device = try global.openUnlockedDevice()
            try SnapshotOutput.report(json: output.json, verb: "db restore") { try device.snapshots.restoreDatabase(id, to: database, force: force) }
        }
    }

    struct Age: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the age in seconds of the latest backup of a database, and of the database's last change (-1 when none).",
            discussion: "Example: tandem db age ~/.local/share/myapp/messages.sqlite --json")
        @Argument(help: "The database file.") var database: String
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let ages = try global.openUnlockedDevice(for: .reading).snapshots.databaseAges(of: database)
            if output.json {
                Output.json(.object([("backupAge", .number(String(ages.backupAge))), ("databaseAge", .number(String(ages.databaseAge)))]))
            } else {
                Output.line("backup age: \(ages.backupAge) s")
                Output.line("database age: \(ages.databaseAge) s")
            }
        }
    }
}
