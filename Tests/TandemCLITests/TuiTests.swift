import Foundation
import Testing

/// The real binary under tmux, against a vault of three devices made by the CLI.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiTests {
    /// laptop sees an insert and an edit from phone, and a conflict with tablet.
    func story() throws -> CLI {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone", "tablet"])
        try cli.ok("put", "friends", "alice", #"{"age":30}"#, "--device", "laptop", "--sync")
        try cli.ok("sync", "--device", "phone", "--policy", "accept")
        try cli.ok("sync", "--device", "tablet", "--policy", "accept")
        try cli.ok("put", "friends", "alice", #"{"age":31}"#, "--device", "phone", "--sync")
        try cli.ok("put", "friends", "bob", #"{"name":"Bob"}"#, "--device", "phone", "--sync")
        try cli.ok("put", "settings", "theme", #""dark""#, "--device", "laptop", "--sync")
        try cli.ok("sync", "--device", "tablet", "--policy", "accept")
        try cli.ok("put", "settings", "theme", #""light""#, "--device", "laptop")
        try cli.ok("put", "settings", "theme", #""blue""#, "--device", "tablet", "--sync")
        return cli
    }

    /// On laptop of the story: stops the review prompt and opens the
    /// conflicts screen on settings/theme.
    static func showTheConflict(_ tui: Tmux) throws {
        tui.waitFor("[q] stop")
        try tui.press("q")
        tui.waitFor("3 Conflicts (1)")
        try tui.press("3")
        tui.waitFor("laptop — this device")
    }

    func tui(_ cli: CLI, device: String, width: Int = 120, height: Int = 40) throws -> Tmux {
        try Tmux("\(CLI.binary.path) tui --device \(device)", width: width, height: height, environment: ["TANDEM_HOME": cli.home.path])
    }

    @Test func reviewAcceptRefuseAndResolveFromTheKeyboard() throws {
        let cli = try story()
        let tui = try tui(cli, device: "laptop")
        // The first sync brought phone's changes: the prompt steps through them.
        tui.waitFor("[a]ccept [r]efuse [o] keep mine [l]ater [d]iff whole [q] stop")
        tui.waitFor("1 of 2 · Remote edit from phone · friends/alice")
        try tui.press("a")
        tui.waitFor("accept: friends/alice")
        tui.waitFor("Remote insert from phone · friends/bob")
        try tui.press("q")
        tui.waitFor("the rest wait on the incoming screen")
        try tui.press("2")
        // The tab's label shows on every screen; this line only on the incoming one.
        tui.waitFor("r  keeps this device's data; not asked again")
        #expect(tui.screen.contains("2 Incoming (1)"))
        // Refused and taken back at once: the undo runs after the refuse, whatever the timing.
        try tui.press("r")
        try tui.press("u")
        tui.waitFor("undid refuse: friends/bob is incoming again")
        // The counts follow with the reload after the message.
        tui.waitFor("⊘ 0")
        #expect(tui.screen.contains("2 Incoming (1)"))
        try tui.press("r")
        tui.waitFor("refuse: friends/bob")
        try tui.press("3")
        tui.waitFor("laptop — this device")
        // Waited for, not read at once: a capture may catch a frame half drawn on a busy machine.
        tui.waitFor("m keeps laptop's value everywhere")
        tui.waitUntil("the conflict's keys naming tablet") { $0.contains("t takes tablet's, ") && $0.contains(" ago · e merges all in $EDITOR") }
        try tui.press("m")
        tui.waitFor("resolved settings/theme")
        try tui.press("s")
        tui.waitFor("synced: pulled")
        // The resolution went out with that sync: it is no longer the device's to take back.
        try tui.press("3")
        try tui.press("u")
        tui.waitFor("cannot undo: keep-local of settings/theme: a sync has published it")
        try tui.quit()

        let entries = try #require(try cli.json("ls", "--device", "laptop") as? [JSONObject])
        let states = Dictionary(uniqueKeysWithValues: entries.map { ($0["key"] as! String, $0["state"] as! String) })
        #expect(states == ["alice": "in-sync", "bob": "refused", "theme": "in-sync"])
        #expect(try cli.ok("get", "settings", "theme", "--device", "laptop", "--compact") == "\"light\"\n")
        try cli.ok("sync", "--device", "tablet")
        let incoming = try #require(try cli.json("incoming", "--device", "tablet") as? [JSONObject])
        #expect(incoming.contains { $0["key"] as? String == "theme" && $0["change"] as? String == "edit" })
    }

    @Test func aResizeRedrawsTheLayoutAndATinyTerminalIsTold() throws {
        let cli = try story()
        let tui = try tui(cli, device: "laptop")
        tui.waitFor("[q] stop")
        try tui.press("q")
        tui.waitFor("? help  q quit")
        try tui.resize(width: 80, height: 20)
        tui.waitFor("1 Entr")
        let lines = tui.screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(tui.screen.contains("? help  q quit"))
        try tui.resize(width: 50, height: 12)
        tui.waitFor("terminal too small")
        try tui.resize(width: 120, height: 40)
        tui.waitFor("? help  q quit")
        try tui.quit()
    }

    @Test func escapeSequencesInDataAreShownEscaped() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "notes", "evil", "-", stdin: "\"\\u001b]0;pwned\\u0007 and \\u001b[2J\"")
        // With the vault away the entry cannot be pushed: it stays unpublished.
        try FileManager.default.moveItem(at: cli.vault, to: cli.root.appendingPathComponent("vault-away"))
        let tui = try tui(cli, device: "laptop")
        tui.waitFor("notes/evil")
        tui.waitFor(#"\u001b]0;pwned"#)
        #expect(!tui.screen.contains("\u{1b}"))
        tui.waitFor("offline: 1 changes wait to be pushed")
        // Quitting asks first, and only y quits.
        try tui.press("q")
        tui.waitFor("1 changes of yours are not published yet")
        try tui.press("n")
        tui.waitFor("cancelled")
        try tui.quit()
    }
}

/// A decision waits its grace before a sync nobody asked for publishes it,
/// so `u` still takes it back while other devices push.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiPublishingTests {
    @Test func undoWorksWhileAnotherDevicePushesAndTheGraceThenPublishes() throws {
        let cli = try TuiTests().story()
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path])
        try TuiTests.showTheConflict(tui)
        try tui.press("m")
        tui.waitFor("resolved settings/theme — published in 10 s (s now, u undoes it)")
        tui.waitFor("1 publish in")
        // phone pushes; laptop's vault watcher syncs, and leaves the resolution alone.
        try cli.ok("put", "friends", "zoe", #"{"name":"Zoe"}"#, "--device", "phone", "--sync")
        tui.waitFor("2 Incoming (3)")
        try tui.press("u")
        tui.waitFor("undid keep-local: settings/theme is conflict again")
        // A new resolution is published by the UI itself once its grace ends, without s.
        tui.waitFor("⚠ 1")
        try tui.press("m")
        tui.waitFor("1 publish in")
        tui.waitUntil("the grace to end and a sync to publish", timeout: 20) { !$0.contains("publish in") && $0.contains("↑ 0") }
        try tui.quit()
        // tablet gets laptop's resolution, which has seen its own version: an edit to review.
        try cli.ok("sync", "--device", "tablet")
        let incoming = try cli.run(["incoming", "--device", "tablet", "--json"]).stdout
        #expect(incoming.contains("theme") && incoming.contains("light"), "\(incoming)")
    }
}

/// Bulk decisions act on the list the person confirmed, while another
/// device keeps pushing.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiBulkTests {
    @Test func acceptAllWhileChangesArriveAcceptsWhatWasShownAndLeavesTheRest() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        for index in 1...5 { try cli.ok("put", "messages", "m\(index)", #""first""#, "--device", "phone", "--sync") }
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path])
        tui.waitFor("[q] stop")
        try tui.press("q")
        tui.waitFor("2 Incoming (5)")
        try tui.press("2")
        try tui.press("A")
        tui.waitFor("Accept all 5 incoming changes shown?")
        // Meanwhile phone edits two of them, and laptop's vault watcher pulls the edits.
        try cli.ok("put", "messages", "m2", #""second""#, "--device", "phone", "--sync")
        try cli.ok("put", "messages", "m4", #""second""#, "--device", "phone", "--sync")
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !(try cli.run(["incoming", "--device", "laptop", "--json"]).stdout.contains("second")) {
            Thread.sleep(forTimeInterval: 0.2)
        }
        try tui.press("y")
        tui.waitFor("accepted 3; 2 changed since and were left for review")
        #expect(!tui.screen.contains("tandem incoming"), "no hint for the command line inside the UI")
        for index in [1, 3, 5] {
            #expect(try cli.ok("get", "messages", "m\(index)", "--device", "laptop", "--compact") == "\"first\"\n")
        }
        let left = try #require(try cli.run(["incoming", "--device", "laptop", "--json"]).json() as? [JSONObject])
        #expect(Set(left.compactMap { $0["key"] as? String }) == ["m2", "m4"], "the edits that arrived wait for review")
        // One undo takes back the whole accept, not only its last entry.
        try tui.press("u")
        tui.waitFor("undid accept of 3 changes")
        tui.waitFor("2 Incoming (5)")
        try tui.quit()
    }
}

/// A conflict of three devices: every version can be taken, and the merge
/// file holds them all.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiThreeWayConflictTests {
    func threeWay() throws -> CLI {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone", "tablet"])
        try cli.ok("put", "settings", "language", #""en""#, "--device", "laptop", "--sync")
        for device in ["phone", "tablet"] { try cli.ok("sync", "--device", device, "--policy", "accept") }
        try cli.ok("put", "settings", "language", #""fr""#, "--device", "laptop", "--sync")
        try cli.ok("put", "settings", "language", #""de""#, "--device", "phone", "--sync")
        try cli.ok("put", "settings", "language", #""it""#, "--device", "tablet", "--sync")
        try cli.ok("sync", "--device", "laptop")
        return cli
    }

    @Test func theThirdVersionCanBeTaken() throws {
        let cli = try threeWay()
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path])
        tui.waitFor("3 Conflicts (1)")
        try tui.press("3")
        tui.waitFor("(1 of 2; [ ] choose)")
        try tui.press("]")
        tui.waitFor("t takes version 2 of 2")
        let chosen = try #require(["phone", "tablet"].first { tui.screen.contains("t takes version 2 of 2, \($0)'s") })
        try tui.press("t")
        tui.waitFor("3 Conflicts (0)")
        try tui.quit()
        let expected = chosen == "phone" ? "\"de\"\n" : "\"it\"\n"
        #expect(try cli.ok("get", "settings", "language", "--device", "laptop", "--compact") == expected)
    }

    @Test func theMergeFileHoldsEveryVersionNamedByItsDevice() throws {
        let cli = try threeWay()
        // An "editor" that keeps a copy of what it was given and writes a merge.
        let seen = cli.root.appendingPathComponent("seen.txt")
        let script = cli.root.appendingPathComponent("editor.sh")
        try Data("#!/bin/sh\ncp \"$1\" '\(seen.path)'\nprintf '%s\\n%s\\n' '\"es\"' \"$(grep -- '---- tandem' \"$1\")\" > \"$1\"\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path, "EDITOR": script.path])
        tui.waitFor("3 Conflicts (1)")
        try tui.press("3")
        tui.waitFor("(1 of 2; [ ] choose)")
        try tui.press("e")
        tui.waitFor("merged settings/language")
        try tui.quit()
        let file = try String(contentsOf: seen, encoding: .utf8)
        #expect(file.hasPrefix("\"fr\""), "this device's value first: \(file)")
        #expect(file.contains("phone") && file.contains("\"de\"") && file.contains("tablet") && file.contains("\"it\""), "\(file)")
        #expect(try cli.ok("get", "settings", "language", "--device", "laptop", "--compact") == "\"es\"\n",
                "what follows the marker line is ignored")
    }
}

/// Editing in `$EDITOR` from the UI, with a scripted editor.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiEditorTests {
    /// An "editor" that replaces the file with `content`.
    func editor(_ cli: CLI, writing content: String) throws -> String {
        let script = cli.root.appendingPathComponent("editor-\(UUID().uuidString.prefix(6)).sh")
        try Data("#!/bin/sh\nprintf '%s' '\(content)' > \"$1\"\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script.path
    }

    @Test func mergeAConflictInTheEditor() throws {
        let cli = try TuiTests().story()
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path, "EDITOR": try editor(cli, writing: "\"merged\"")])
        try TuiTests.showTheConflict(tui)
        try tui.press("e")
        tui.waitFor("merged settings/theme")
        try tui.press("s")
        tui.waitFor("3 Conflicts (0)")
        try tui.quit()
        #expect(try cli.ok("get", "settings", "theme", "--device", "laptop", "--compact") == "\"merged\"\n")
    }

    /// vim itself, as a person runs it: it must own the terminal (be in its
    /// foreground process group), and nothing typed in it may reach the UI.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/vim"), "needs vim; .ci/run installs it"))
    func editAnEntryAndMergeAConflictWithRealVim() throws {
        let cli = try TuiTests().story()
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path, "EDITOR": "vim -u NONE -N -n"])
        try TuiTests.showTheConflict(tui)
        try tui.press("e")
        tui.waitFor("tandem-")
        // Replace the whole file, then write and quit; r, R and a are also ways to act in the UI.
        try tui.press("g", "g", "d", "G", "i", "\"merged in vim\"", "Escape")
        try tui.press(":wq", "Enter")
        tui.waitFor("merged settings/theme")
        try tui.press("s")
        tui.waitFor("3 Conflicts (0)")
        // s steps through phone's two changes, which still wait: stop it.
        tui.waitFor("[q] stop")
        try tui.press("q")
        tui.waitFor("the rest wait on the incoming screen")

        try tui.press("1")
        tui.waitFor("Contexts")
        try tui.press("n")
        tui.waitFor("new entry (context/key)")
        try tui.press("notes/from-vim", "Enter")
        tui.waitFor("tandem-")
        try tui.press("g", "g", "d", "G", "i", "{\"by\": \"vim\"}", "Escape", ":wq", "Enter")
        tui.waitFor("notes/from-vim")
        #expect(!tui.screen.contains("Accept all"), "no key typed in vim reached the UI")
        try tui.quit()
        #expect(try cli.ok("get", "settings", "theme", "--device", "laptop", "--compact") == "\"merged in vim\"\n")
        #expect(try cli.ok("get", "notes", "from-vim", "--device", "laptop", "--compact") == "{\"by\":\"vim\"}\n")
        let incoming = try #require(try cli.run(["incoming", "--device", "laptop", "--json"]).json() as? [Any])
        #expect(incoming.count == 2, "phone's two changes still wait: no stray key decided them")
    }

    @Test func invalidJSONFromTheEditorIsShownAndNothingIsWritten() throws {
        let cli = try TuiTests().story()
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", environment: ["TANDEM_HOME": cli.home.path, "EDITOR": try editor(cli, writing: "{oops")])
        tui.waitFor("[q] stop")
        try tui.press("q")
        tui.waitFor("1 Entries")
        try tui.press("n")
        tui.waitFor("new entry (context/key)")
        try tui.press("notes/first", "Enter")
        tui.waitFor("not valid JSON")
        #expect(tui.screen.contains("nothing was written"))
        try tui.quit()
        #expect(try cli.run(["get", "notes", "first", "--device", "laptop"]).status == 1)
    }
}

@Suite(.enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiThemeTests {
    @Test func aBrokenThemeIsNamedWithItsLineAndTheUIStillRuns() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let themes = cli.root.appendingPathComponent("config/tandem/themes")
        try FileManager.default.createDirectory(at: themes, withIntermediateDirectories: true)
        try Data("[header]\nbold = \"yes\"\n".utf8).write(to: themes.appendingPathComponent("mine.toml"))
        let tui = try Tmux("\(CLI.binary.path) tui --theme mine", environment: ["TANDEM_HOME": cli.home.path,
                                                                               "XDG_CONFIG_HOME": cli.root.appendingPathComponent("config").path])
        tui.waitFor("mine.toml:2: bold must be true")
        #expect(tui.screen.contains("1 Entries"))
        try tui.quit()
    }
}
