import Foundation
import Testing

/// Whatever a command prints comes from user data, the vault or the file
/// system: none of it may reach the terminal as a character the terminal acts
/// on (C0 and C1 controls, so ESC and CSI) or one that hides or reorders text
/// (bidi overrides, zero-width and other format characters). Each command is
/// run as a real process and everything it writes is checked.
@Suite struct TerminalEscapingTests {
    /// A right-to-left override, a C1 CSI, a zero-width space, a byte order
    /// mark, an isolate and an Arabic letter mark: none is a control that key
    /// validation refuses, so each can sit in a key.
    static let hidden = "\u{202E}\u{200B}\u{FEFF}\u{2066}\u{061C}"
    /// What a value can hold besides: ESC and the C1 CSI.
    static let hostileValue = "\"red\\u001b[31m csi\u{9B}31m \(hidden)\""

    /// Characters that must never be printed raw.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A: false
        case 0x00..<0x20, 0x7F...0x9F: true
        case 0x061C, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF: true
        default: scalar.properties.generalCategory == .format
        }
    }

    /// Expects both streams free of unsafe characters.
    static func expectSafe(_ result: CLI.Result, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for (stream, text) in [("stdout", result.stdout), ("stderr", result.stderr)] {
            let raw = text.unicodeScalars.filter(isUnsafe).map { String(format: "U+%04X", $0.value) }
            #expect(raw.isEmpty, "\(what) printed \(raw) raw on \(stream): \(text.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    /// Runs, expects success and safe output, and returns stdout.
    @discardableResult
    static func safe(_ cli: CLI, _ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try safe(cli, arguments, sourceLocation: sourceLocation)
    }

    @discardableResult
    static func safe(_ cli: CLI, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try cli.run(arguments)
        #expect(result.status == 0, "tandem \(arguments) failed: \(result.stderr)", sourceLocation: sourceLocation)
        expectSafe(result, "tandem \(arguments.joined(separator: " "))", sourceLocation: sourceLocation)
        return result.stdout
    }

    @Test func entriesKeysAndValuesAreEscapedInEveryCommand() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a", "b"])
        let key = "k" + Self.hidden
        try Self.safe(cli, "put", "c", key, Self.hostileValue, "--device", "a", "--sync")
        try Self.safe(cli, "sync", "--device", "b")

        let get = try Self.safe(cli, "get", "c", key, "--device", "a")
        #expect(get.contains("\\u202e") && get.contains("\\u009b") && get.contains("\\u001b"), "the value is shown, escaped: \(get)")
        try Self.safe(cli, "get", "c", key, "--device", "a", "--compact")
        let ls = try Self.safe(cli, "ls", "--device", "a")
        #expect(ls.contains("k\\u{202e}\\u{200b}\\u{feff}\\u{2066}\\u{61c}"), "the key is shown, escaped: \(ls)")
        let incoming = try Self.safe(cli, "incoming", "--device", "b")
        #expect(incoming.contains("\\u{202e}"))
        try Self.safe(cli, "conflicts", "--device", "b")

        for command in [["get", "c", key], ["ls"], ["incoming"], ["log"], ["device", "list"], ["status"]] {
            let json = try Self.safe(cli, command + ["--device", "b", "--json"])
            // JSON stays JSON: the characters are written as \uXXXX and parse back.
            _ = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
            if command[0] != "log" && command[0] != "device" && command[0] != "status" {
                #expect(json.contains("\\u202e") && json.contains("\\u009b"), "\(command) --json: \(json)")
                #expect(json.contains(#""key": "k\u202e\u200b\ufeff\u2066\u061c""#), "\(command) --json: \(json)")
            }
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(try Self.safe(cli, "get", "c", key, "--device", "b", "--json").utf8)) as? [String: Any])
        #expect(parsed["key"] as? String == key)

        // An undo's log line names the key.
        try cli.ok("accept", "--all", "--device", "b")
        try cli.ok("undo", "--device", "b")
        let log = try Self.safe(cli, "log", "--device", "b")
        #expect(log.contains("\\u{202e}"), "\(log)")

        // Errors name the key too.
        let missing = try cli.run(["get", "c", key + "x", "--device", "a"])
        #expect(missing.status == 1)
        Self.expectSafe(missing, "get of a missing key")
        #expect(missing.stderr.contains("\\u{202e}"))
    }

    @Test func aVaultPathWithEscapesIsEscapedInEveryCommand() throws {
        let cli = CLI()
        let vault = cli.root.appendingPathComponent("v\u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}\u{202E}ault").path
        try Self.safe(cli, "init", "--vault", vault, "--owner", "alice\u{202E}", "--scrypt-log-n", "10")
        let created = try Self.safe(cli, "device", "create", "a", "--vault", vault, "--remember-key")
        #expect(created.contains("v\\e]0;owned\\u{7}\\e[2J\\u{9b}\\u{202e}ault"), "\(created)")
        try Self.safe(cli, "device", "create", "b", "--vault", vault, "--remember-key", "--json")
        try Self.safe(cli, "put", "c", "k", "1", "--device", "a", "--sync")
        try Self.safe(cli, "status", "--device", "a")
        try Self.safe(cli, "status", "--device", "a", "--json")
        try Self.safe(cli, "log", "--device", "a")
        try Self.safe(cli, "log", "--device", "a", "--json")
        try Self.safe(cli, "device", "list")
        try Self.safe(cli, "device", "list", "--json")
        try Self.safe(cli, "unlock", "--device", "a")

        // Errors that name the path: a second init, a vault gone missing.
        let again = try cli.run(["init", "--vault", vault, "--owner", "x", "--scrypt-log-n", "10"])
        #expect(again.status == 1)
        Self.expectSafe(again, "init over a vault")
        #expect(again.stderr.contains("\\e]0;owned"), "\(again.stderr)")
        try FileManager.default.moveItem(atPath: vault + "/vault.json", toPath: vault + "/moved.json")
        let gone = try cli.run(["device", "create", "c", "--vault", vault])
        #expect(gone.status == 1)
        Self.expectSafe(gone, "device create on a missing vault")
        let offline = try cli.run(["sync", "--device", "a"])
        Self.expectSafe(offline, "sync with vault.json gone")
    }

    @Test func snapshotsOfHostileFileNamesAndTargetsAreEscaped() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a"])
        let source = cli.root.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let name = "f\u{1B}[31m\u{9B}2J\u{202E}txt.exe"
        try Data("hello".utf8).write(to: source.appendingPathComponent(name))
        let result = try #require(try cli.json("snapshot", "create", source.path, "--name", "n\u{202E}", "--tag", "t\u{9B}") as? JSONObject)
        let id = try #require(result["snapshotID"] as? String)

        let show = try Self.safe(cli, "snapshot", "show", id)
        #expect(show.contains("f\\e[31m\\u{9b}2J\\u{202e}txt.exe"), "\(show)")
        let json = try Self.safe(cli, "snapshot", "show", id, "--json")
        #expect(json.contains("\\u202e"), "\(json)")
        try Self.safe(cli, "snapshot", "list")
        try Self.safe(cli, "snapshot", "list", "--json")
        try Self.safe(cli, "snapshot", "history")

        // A restore target holding escapes, refused because it is not empty, and restored into once emptied.
        let target = cli.root.appendingPathComponent("to\u{1B}[2J\u{202E}")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: target.appendingPathComponent("occupied"))
        let refused = try cli.run(["snapshot", "restore", id, target.path])
        #expect(refused.status != 0)
        Self.expectSafe(refused, "restore into a non-empty target")
        #expect(refused.stderr.contains("to\\e[2J\\u{202e}"), "\(refused.stderr)")
        let refusedJSON = try cli.run(["snapshot", "restore", id, target.path, "--json"])
        Self.expectSafe(refusedJSON, "restore --json into a non-empty target")
        try FileManager.default.removeItem(at: target.appendingPathComponent("occupied"))
        try Self.safe(cli, "snapshot", "restore", id, target.path)
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent(name).path))
    }

    @Test(.enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
    func theTerminalUIShowsTheSameCharactersEscaped() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a"])
        try cli.ok("put", "c", "k" + Self.hidden, Self.hostileValue)
        let tui = try Tmux("\(CLI.binary.path) tui --device a", environment: ["TANDEM_HOME": cli.home.path])
        tui.waitFor("c/k\\u{202e}\\u{200b}\\u{feff}\\u{2066}\\u{61c}")
        let raw = tui.screen.unicodeScalars.filter(Self.isUnsafe).map { String(format: "U+%04X", $0.value) }
        #expect(raw.isEmpty, "the UI drew \(raw) raw")
        try tui.quit()
    }

    @Test func usageErrorsDoNotEchoEscapes() throws {
        let cli = CLI()
        let result = try cli.run(["frob\u{1B}]0;x\u{07}\u{9B}\u{202E}"])
        #expect(result.status == 2)
        Self.expectSafe(result, "an unknown command")
    }
}
