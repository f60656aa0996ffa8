import Foundation
import Testing

/// `tandem demo` as a person runs it: the real binary in tmux, its simulated
/// devices acting in the background, a second device opened in its own process.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct DemoTests {
    @Test func theDemoShowsPhonesChangesLiveSwitchesDeviceAndQuitsClean() throws {
        let cli = CLI()
        let workspace = cli.root.appendingPathComponent("demo")
        let demo = try Tmux("\(CLI.binary.path) demo --dir \(workspace.path) --seed 7")
        // phone's first two changes (a message, an edit of alice) arrive on their own.
        demo.waitUntil("two incoming changes", timeout: 20) { screen in
            (2...9).contains { screen.contains("Incoming (\($0))") }
        }
        try demo.press("Escape")
        try demo.press("2")
        demo.waitFor("Remote edit from phone · friends/alice")
        let row = demo.line(containing: "↓ edit") ?? ""
        #expect(row.contains("friends/alice") && row.contains("phone · "), "the incoming list names the device: \(row)")
        try demo.press("v")
        demo.waitFor("tandem · phone ·")
        try demo.press("5")
        demo.waitFor("phone (this)")
        #expect(demo.screen.contains("laptop            online"), "\(demo.screen)")
        // From the devices screen: laptop offline, then tablet reinstalled.
        try demo.press("g")
        try demo.press("o")
        demo.waitFor("laptop            offline")
        try demo.press("o")
        demo.waitFor("laptop            online")
        try demo.press("G")
        demo.waitFor("tablet · id")
        try demo.press("I")
        demo.waitFor("Reinstall tablet")
        try demo.press("y")
        // "tablet … holds N entries" is a message the next sync may replace at
        // once on a busy machine: the lasting sign is the replaced installation,
        // retired as soon as the new one has restored.
        demo.waitUntil("the replaced installation", timeout: 30) { $0.contains("replaced") || $0.contains("retired") }
        try demo.quit()
        let after = demo.screen
        #expect(after.contains("The demo's workspace stays in"), "\(after)")
        #expect(!after.contains("Devices ("), "the UI is gone from the terminal:\n\(after)")

        for device in ["laptop", "phone", "tablet"] {
            let status = try #require(try cli.json("status", "--home", workspace.path, "--device", device) as? JSONObject)
            #expect(status["device"] as? String == device, "\(status)")
        }
        let laptop = try #require(try cli.json("ls", "--home", workspace.path, "--device", "laptop") as? [JSONObject])
        #expect(laptop.contains { $0["key"] as? String == "alice" })
    }

    @Test func aSecondProcessOnAnotherDeviceAndTheDemoSeeEachOthersChanges() throws {
        let cli = CLI()
        let workspace = cli.root.appendingPathComponent("demo")
        let demo = try Tmux("\(CLI.binary.path) demo --dir \(workspace.path) --seed 7")
        demo.waitFor("tandem · laptop", timeout: 20)
        try demo.press("p")
        demo.waitFor("demo paused")
        let phone = try Tmux("\(CLI.binary.path) tui --home \(workspace.path) --device phone")
        phone.waitFor("tandem · phone")
        phone.waitFor("synced")
        try phone.press("Escape")
        // phone deletes carol in its own process and publishes it …
        try phone.press("/")
        for character in "carol" { try phone.press(String(character)) }
        try phone.press("Enter")
        phone.waitFor("Entries (1) matching 'carol'")
        try phone.press("x")
        phone.waitFor("Delete friends/carol")
        try phone.press("y")
        phone.waitFor("deleted friends/carol")
        try phone.press("s")
        phone.waitFor("synced: pulled")
        // … and laptop, in the demo's process, sees it arrive without a key.
        try demo.press("Escape")
        try demo.press("2")
        demo.waitUntil("carol's deletion on laptop", timeout: 15) { screen in
            screen.split(separator: "\n").contains { $0.contains("deletion") && $0.contains("friends/carol") }
        }
        // The demo's devices go on; what they write reaches phone's screen in the other process.
        try phone.press("Escape")
        phone.waitFor("Entries (")
        let before = phone.line(containing: "Entries (")
        try demo.press("p")
        demo.waitFor("demo ×1")
        phone.waitUntil("a change of phone's entries", timeout: 30) { _ in phone.line(containing: "Entries (") != before }
        try phone.quit()
        try demo.quit()
    }

    @Test func withoutATerminalTheDemoSaysWhatItNeeds() throws {
        let cli = CLI()
        let result = try cli.run(["demo", "--dir", cli.root.appendingPathComponent("demo").path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("needs a terminal"), "\(result.stderr)")
        #expect(result.stderr.contains("tandem simulate"))
    }

    @Test func aFolderThatIsNotADemoIsLeftAlone() throws {
        let cli = CLI()
        let other = cli.root.appendingPathComponent("precious")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: other.appendingPathComponent("file"))
        let demo = try Tmux("\(CLI.binary.path) demo --dir \(other.path)")
        demo.waitFor("EXITED:1")
        #expect(demo.screen.contains("is not a previous demo"))
        #expect(FileManager.default.fileExists(atPath: other.appendingPathComponent("file").path))
    }
}
