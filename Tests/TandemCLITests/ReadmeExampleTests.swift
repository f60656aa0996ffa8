import Foundation
import Testing

/// Every command example in the README's table runs, as written, with only
/// its placeholders (the vault's path, an app's folder, snapshot and change
/// ids) replaced by real ones, in one story on one machine. A README example
/// this story does not run fails the test, so the table cannot drift from
/// the CLI.
@Suite struct ReadmeExampleTests {
    /// The README's root, found from this file.
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")

    /// The examples of the command table: each backticked `tandem …` (or
    /// `echo … | tandem …`) in a row's last column.
    static func examples() throws -> [String] {
        let text = try String(contentsOf: readme, encoding: .utf8)
        var found: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| ") {
            let escaped = line.replacingOccurrences(of: "\\|", with: "\u{1}")
            guard let column = escaped.split(separator: "|", omittingEmptySubsequences: false).dropLast().last else { continue }
            let parts = column.split(separator: "`", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() where index % 2 == 1 {
                let example = part.replacingOccurrences(of: "\u{1}", with: "|")
                if example.hasPrefix("tandem ") || example.hasPrefix("echo ") { found.append(example) }
            }
        }
        return found
    }

    /// Splits an example as a shell would: words, and single-quoted strings.
    static func words(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var inWord = false
        for character in command {
            if character == "'" {
                quoted.toggle()
                inWord = true
            } else if character == " " && !quoted {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    final class Story {
        let cli = CLI()
        var remaining: [String]
        var substitutions: [(String, String)] = []
        var passphrase = "correct horse battery staple"
        var environment: [String: String] = [:]

        init(_ examples: [String]) {
            remaining = examples
        }

        /// Runs the README example that starts with `prefix`, placeholders
        /// replaced; `expect` checks the result (status 0 unless told).
        @discardableResult
        func run(_ prefix: String, status: Int32 = 0, replacing extra: [(String, String)] = [],
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> CLI.Result {
            guard let index = remaining.firstIndex(where: { $0.hasPrefix(prefix) }) else {
                Issue.record("the README has no example starting with \(prefix), or it ran already", sourceLocation: sourceLocation)
                return CLI.Result(status: -1, stdout: "", stderr: "")
            }
            let example = remaining.remove(at: index)
            var command = example
            for (placeholder, real) in extra + substitutions { command = command.replacingOccurrences(of: placeholder, with: real) }
            var stdin: String?
            if command.hasPrefix("echo ") {
                let pipe = command.components(separatedBy: " | ")
                stdin = ReadmeExampleTests.words(pipe[0]).dropFirst().joined(separator: " ") + "\n"
                command = pipe[1]
            }
            let arguments = Array(ReadmeExampleTests.words(command).dropFirst())
            cli.passphrase = passphrase
            let result = try cli.run(arguments, stdin: stdin, environment: environment)
            #expect(result.status == status, "README example `\(example)` ran as `\(arguments.joined(separator: " "))`: \(result.stderr)",
                    sourceLocation: sourceLocation)
            return result
        }

        func ok(_ arguments: String...) throws -> String {
            cli.passphrase = passphrase
            let result = try cli.run(arguments, environment: environment)
            #expect(result.status == 0, "setup `tandem \(arguments.joined(separator: " "))`: \(result.stderr)")
            return result.stdout
        }

        /// Runs a setup command on laptop, then makes phone the device used
        /// last again, which the README's examples act on.
        func onLaptop(_ arguments: String...) throws {
            cli.passphrase = passphrase
            let result = try cli.run(arguments + ["--device", "laptop"], environment: environment)
            #expect(result.status == 0, "setup `tandem \(arguments.joined(separator: " ")) --device laptop`: \(result.stderr)")
            _ = try cli.run(["status", "--device", "phone"], environment: environment)
        }
    }

    @Test func everyExampleOfTheCommandTableRuns() throws {
        let examples = try Self.examples()
        #expect(examples.count > 40, "the table has its examples: \(examples)")
        let story = Story(examples)
        let root = story.cli.root
        let app = root.appendingPathComponent("myapp")
        try FileManager.default.createDirectory(at: app.appendingPathComponent("photos/2026"), withIntermediateDirectories: true)
        try Data("a photo".utf8).write(to: app.appendingPathComponent("photos/2026/one.jpg"))
        let database = app.appendingPathComponent("messages.sqlite").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [database, "PRAGMA journal_mode=WAL; CREATE TABLE message (body TEXT); INSERT INTO message VALUES ('hello');"]
        sqlite.standardOutput = FileHandle.nullDevice
        try sqlite.run()
        sqlite.waitUntilExit()
        story.substitutions = [
            ("/mnt/usb/tandem", story.cli.vault.path), ("~/.local/share/myapp", app.path),
            ("/tmp/restored", root.appendingPathComponent("restored").path), ("/tmp/tandem-demo", root.appendingPathComponent("demo").path),
            ("theme.json", root.appendingPathComponent("theme.json").path),
            ("friends.jsonl", root.appendingPathComponent("friends.jsonl").path),
            ("friends.migrations.json", root.appendingPathComponent("friends.migrations.json").path),
        ]

        // A vault, a second one without encryption, two devices of the first.
        let created = try story.run("tandem init --vault")
        let phrase = created.stdout.matches(of: /\d+\. +([a-z]+)/).map { String($0.output.1) }
        #expect(phrase.count == 24, "\(created.stdout)")
        try story.run("tandem init --vault", replacing: [("/mnt/usb/tandem", root.appendingPathComponent("plain-vault").path)])
        try story.run("tandem device create laptop")
        story.environment["TANDEM_RECOVERY_PHRASE"] = phrase.joined(separator: " ")
        try story.run("tandem device create phone")
        try story.run("tandem unlock")
        try story.run("tandem lock")
        story.environment["TANDEM_NEW_PASSPHRASE"] = "a new passphrase for the vault"
        try story.run("tandem passphrase change")
        story.passphrase = "a new passphrase for the vault"

        // Snapshots and database backups, on phone (the device used last).
        try story.run("tandem snapshot create")
        try story.run("tandem snapshot list")
        let folder = try #require(try story.ok("snapshot", "list", "--json").matches(of: /"id" ?: "([0-9a-f]{16})"/).first.map { String($0.output.1) })
        let snapshot = [("3f9c2a81", folder)]
        try story.run("tandem snapshot show", replacing: snapshot)
        try story.run("tandem snapshot history")
        try story.run("tandem snapshot restore", replacing: snapshot)
        try story.run("tandem snapshot verify", replacing: snapshot)
        try story.run("tandem check")
        try story.run("tandem snapshot forget")
        try story.run("tandem snapshot prune")
        try story.run("tandem db backup")
        let listing = try story.ok("snapshot", "list", "--json")
        let backup = try #require(listing.matches(of: /"id" ?: "([0-9a-f]{16})"/).map { String($0.output.1) }.first { $0 != folder })
        try story.run("tandem db restore", replacing: [("3f9c2a81", backup)])
        try story.run("tandem db age")
        try story.run("tandem device list")

        // Entries on phone; laptop writes what phone then reviews.
        try story.run("tandem put friends alice")
        try Data(#""light""#.utf8).write(to: root.appendingPathComponent("theme.json"))
        try story.run("tandem put settings theme --file")
        try story.run("echo")
        try story.run("tandem get friends alice")
        _ = try story.ok("put", "friends", "bob", #"{"name":"Bob"}"#)
        try story.run("tandem rm friends bob")
        try story.run("tandem export friends")
        try story.run("tandem import friends")
        try story.run("tandem ls")
        try story.run("tandem ls")
        try story.run("tandem ls")
        try story.run("tandem contexts")
        try Data(#"{"context": "friends", "migrations": [{"from": 1, "to": 2, "operations": [{"op": "default", "path": "/tags", "value": []}]}]}"#.utf8)
            .write(to: root.appendingPathComponent("friends.migrations.json"))
        try story.run("tandem migrate")
        try story.run("tandem sync")
        try story.onLaptop("sync", "--policy", "accept")
        for key in ["carol", "dave", "erin"] {
            try story.onLaptop("put", "friends", key, #"{"from":"laptop"}"#, "--sync")
        }
        try story.run("tandem sync")
        for key in ["carol", "dave", "erin", "frank"] {
            try story.onLaptop("put", "friends", key, #"{"from":"laptop","v":2}"#, "--sync")
        }
        _ = try story.ok("sync", "--policy", "review")
        try story.run("tandem incoming")
        let incoming = try story.ok("incoming", "--json")
        let changes = incoming.matches(of: /"id" ?: "([0-9a-f]+)"/).map { String($0.output.1) }
        #expect(changes.count >= 3, "\(incoming)")
        for (change, prefix) in zip(changes, ["tandem accept 3f9c2a81d0", "tandem refuse", "tandem keep-mine"]) {
            try story.run(prefix, replacing: [("3f9c2a81d0", change)])
        }
        try story.run("tandem accept --all")

        // A conflict on friends/alice, resolved, and the resolution taken back.
        _ = try story.ok("sync")
        try story.onLaptop("sync", "--policy", "accept")
        try story.onLaptop("put", "friends", "alice", #"{"age":40}"#, "--sync")
        _ = try story.ok("put", "friends", "alice", #"{"age":41}"#)
        _ = try story.ok("sync", "--policy", "review")
        try story.run("tandem conflicts")
        try story.run("tandem resolve")
        try story.run("tandem undo")
        try story.run("tandem status")
        try story.run("tandem wipe friends")
        try story.run("tandem log")
        try story.run("tandem compact --dry-run")
        try story.run("tandem compact --grace")
        // A third device, retired from phone; when it syncs again it is refused, and rejoins.
        story.cli.passphrase = story.passphrase
        _ = try story.cli.run(["device", "create", "tablet", "--vault", story.cli.vault.path, "--remember-key"], environment: story.environment)
        _ = try story.ok("sync", "--device", "tablet")
        _ = try story.ok("status", "--device", "phone")
        try story.run("tandem device retire")
        #expect(try story.cli.run(["sync", "--device", "tablet"], environment: story.environment).stderr.contains("tandem device rejoin"))
        try story.run("tandem device rejoin")
        // phone reinstalled on a machine that lost its store: the same name, replacing the old phone.
        story.environment["TANDEM_HOME"] = root.appendingPathComponent("reinstalled-home").path
        try story.run("tandem device create phone --vault /mnt/usb/tandem --replaces")
        story.environment["TANDEM_HOME"] = nil

        // What needs a terminal says so; the simulations converge.
        try story.run("tandem tui", status: 2)
        try story.run("tandem demo", status: 2)
        try story.run("tandem tui", status: 2)
        try story.run("tandem simulate")
        try story.run("tandem simulate")
        try story.run("tandem simulate")

        #expect(story.remaining.isEmpty, "README examples no test runs: \(story.remaining)")
    }
}
