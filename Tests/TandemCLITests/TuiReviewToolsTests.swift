import Foundation
import Testing

/// The list tools under tmux at 80×24, on the real binary, while another
/// process pushes: marks, the bulk accept of the marked, the filter, the
/// value view and its search; each step waits for the UI to say it is idle.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiReviewToolsTests {
    @Test func marksFiltersAndTheValueViewHoldUpWhileAnotherDevicePushes() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        for (key, value) in [("alice", #"{"age":30}"#), ("bob", #"{"age":40}"#), ("k10", #"{"n":10}"#), ("k2", #"{"n":2}"#),
                             ("carol", #"{"city":"Lyon","note":"Carol likes long walks"}"#)] {
            try cli.ok("put", "friends", key, value, "--device", "phone")
        }
        try cli.ok("sync", "--device", "phone")
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", width: 80, height: 24, environment: ["TANDEM_HOME": cli.home.path])
        tui.waitFor("[q] stop")
        try tui.press("q")
        try tui.press("2")
        tui.settle()
        let rows = tui.screen.split(separator: "\n").map(String.init)
        let order = ["friends/alice", "friends/bob", "friends/carol", "friends/k2 ", "friends/k10"].map { key in rows.firstIndex { $0.contains(key) } ?? -1 }
        #expect(order == order.sorted() && !order.contains(-1), "natural order: k2 before k10\n\(tui.screen)")

        try tui.press("Space")
        tui.settle()
        #expect(tui.screen.contains("1 marked"), "\(tui.screen)")
        // phone pushes while the person decides.
        try cli.ok("put", "friends", "dave", #"{"age":50}"#, "--device", "phone", "--sync")
        tui.waitFor("Incoming changes (6) · 1 marked")
        try tui.press("A")
        tui.settle()
        #expect(tui.screen.contains("Accept the 1 marked changes? [y/n]"), "\(tui.screen)")
        try tui.press("y")
        tui.waitFor("accepted 1")

        try tui.press("/")
        try tui.type("walks")
        tui.waitFor("Incoming changes (1) matching 'walks'")
        try tui.press("Enter", "Enter")
        tui.settle()
        #expect(tui.screen.contains("friends/carol · incoming"), "\(tui.screen)")
        try tui.press("/")
        try tui.type("lyon")
        try tui.press("Enter")
        tui.settle()
        #expect(tui.screen.contains("/lyon"), "\(tui.screen)")
        try tui.press("Escape", "Escape")
        tui.settle()
        #expect(tui.screen.contains("Incoming changes (5)"), "Esc closed the view, then cleared the filter\n\(tui.screen)")
        try tui.quit()

        let entries = try #require(try cli.json("ls", "--device", "laptop") as? [JSONObject])
        let states = Dictionary(uniqueKeysWithValues: entries.map { ($0["key"] as! String, $0["state"] as! String) })
        #expect(states == ["alice": "in-sync", "bob": "incoming", "carol": "incoming", "dave": "incoming", "k2": "incoming", "k10": "incoming"])
    }
}
