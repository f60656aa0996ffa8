import Foundation
import Testing

/// A copy a synced folder set aside in the vault is named in the UI at
/// 80×24: the status line says there is a problem, and the log screen
/// reads the whole message, with what to do, on Enter.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct TuiStrayCopyTests {
    @Test func theUINamesAConflictCopyAndSaysWhatToDo() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "friends", "alice", #"{"age":30}"#, "--sync")
        let copy = cli.vault.appendingPathComponent("vault.sync-conflict-20261201-101500-ABCDEFG.json")
        try FileManager.default.copyItem(at: cli.vault.appendingPathComponent("vault.json"), to: copy)
        let tui = try Tmux("\(CLI.binary.path) tui --device laptop", width: 80, height: 24, environment: ["TANDEM_HOME": cli.home.path])
        try tui.press("s")
        tui.waitFor("a problem (6, Enter reads it)")
        try tui.press("6")
        tui.waitFor("1 problems")
        try tui.press("g", "Enter")
        tui.settle()
        // The view wraps the line: the screen holds the advice to its end.
        let screen = tui.screen.replacingOccurrences(of: "\n", with: " ")
        for words in ["second vault descriptor", "tandem compact --upgrade", "remove this file"] {
            #expect(screen.replacingOccurrences(of: "│", with: " ").split(separator: " ").joined(separator: " ").contains(words), "\(tui.screen)")
        }
        try tui.press("Escape")
        try tui.quit()
    }
}
