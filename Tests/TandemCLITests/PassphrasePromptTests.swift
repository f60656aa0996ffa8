import Foundation
import Testing

/// In a terminal, the CLI and the UI ask for the passphrase when the device
/// does not remember the key: echo off, a wrong answer asked again, three
/// wrong answers give up with nothing changed.
@Suite(.serialized, .enabled(if: Tmux.available, "needs tmux; .ci/run installs it"))
struct PassphrasePromptTests {
    /// laptop remembers the key and pushed a value; phone does not remember it.
    private func story() throws -> CLI {
        let cli = CLI()
        try cli.ok("init", "--vault", cli.vault.path, "--owner", "alice", "--scrypt-log-n", "10")
        try cli.ok("device", "create", "laptop", "--vault", cli.vault.path, "--remember-key")
        try cli.ok("device", "create", "phone", "--vault", cli.vault.path)
        try cli.ok("put", "friends", "alice", #"{"age":30}"#, "--device", "laptop", "--sync")
        return cli
    }

    @Test func theCLIAsksWithEchoOffAndAgainAfterAWrongAnswer() throws {
        let cli = try story()
        let shell = try Tmux("\(CLI.binary.path) sync --device phone --policy accept", environment: ["TANDEM_HOME": cli.home.path])
        shell.waitFor("Passphrase of the vault at \(cli.vault.path):")
        try shell.press("not the passphrase", "Enter")
        shell.waitFor("wrong passphrase")
        shell.waitUntil("the second prompt") { $0.components(separatedBy: "Passphrase of the vault").count == 3 }
        try shell.press("correct horse battery staple", "Enter")
        shell.waitFor("EXITED:0")
        #expect(shell.screen.contains("pulled 1 changes"))
        #expect(!shell.screen.contains("not the passphrase"), "the typed passphrase was echoed")
        #expect(!shell.screen.contains("correct horse"), "the typed passphrase was echoed")
        #expect(try cli.ok("get", "friends", "alice", "--device", "phone", "--compact") == #"{"age":30}"# + "\n")
    }

    @Test func threeWrongAnswersGiveUpAndChangeNothing() throws {
        let cli = try story()
        let shell = try Tmux("\(CLI.binary.path) sync --device phone --policy accept", environment: ["TANDEM_HOME": cli.home.path])
        for attempt in 1...3 {
            shell.waitUntil("prompt \(attempt)") { $0.components(separatedBy: "Passphrase of the vault").count == attempt + 1 }
            try shell.press("wrong \(attempt)", "Enter")
        }
        shell.waitFor("EXITED:1")
        #expect(try cli.run(["get", "friends", "alice", "--device", "phone"]).status == 1)
    }

    @Test func theUIAsksBeforeItTakesTheScreenThenSyncs() throws {
        let cli = try story()
        let tui = try Tmux("\(CLI.binary.path) tui --device phone", environment: ["TANDEM_HOME": cli.home.path])
        tui.waitFor("Passphrase of the vault at \(cli.vault.path):")
        try tui.press("correct horse battery staple", "Enter")
        // The UI opens and its first sync, with the key, brings laptop's insert.
        tui.waitFor("Remote insert from laptop · friends/alice")
        #expect(!tui.screen.contains("correct horse"))
        try tui.press("q")
        try tui.quit()
    }

    /// A signal while the passphrase is typed puts echo back before the
    /// process ends, so the shell is not left blind.
    @Test func aSignalDuringThePromptLeavesEchoOn() throws {
        let cli = try story()
        let script = cli.root.appendingPathComponent("interrupted.sh")
        try Data("""
            timeout -s TERM --foreground 2 '\(CLI.binary.path)' sync --device phone
            stty -a | tr ' ;' '\\n\\n' | grep -x -- '-*echo'
            """.utf8).write(to: script)
        let shell = try Tmux("sh \(script.path)", environment: ["TANDEM_HOME": cli.home.path])
        shell.waitFor("Passphrase of the vault")
        shell.waitFor("EXITED:")
        // The prompt's line was cut short by the signal: stty's answer follows it.
        let words = shell.screen.split(whereSeparator: \.isWhitespace)
        #expect(words.contains("echo"), "\(shell.screen)")
        #expect(!words.contains("-echo"), "\(shell.screen)")
    }
}
