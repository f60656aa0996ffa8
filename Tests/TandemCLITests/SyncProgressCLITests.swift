import Foundation
import Testing

/// `tandem sync` on a terminal shows how far it has read; piped, it prints nothing of it.
@Suite struct SyncProgressCLITests {
    @Test func aRestoreOnATerminalShowsItsProgressAndAPipeGetsNone() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        for key in ["a", "b", "c"] { try cli.ok("put", "notes", key, #"{"text":"note"}"#, "--device", "laptop", "--sync") }
        try cli.ok("device", "create", "phone", "--vault", cli.vault.path, "--remember-key")
        try cli.ok("device", "create", "tablet", "--vault", cli.vault.path, "--remember-key")

        // `script` gives the command a terminal and keeps what it drew.
        let onTerminal = try cli.runScript(#"script -qec "\"$TANDEM\" sync --device phone" /dev/null"#)
        #expect(onTerminal.status == 0, "\(onTerminal.stdout)")
        #expect(onTerminal.stdout.contains("reading the vault"), "\(onTerminal.stdout)")
        #expect(onTerminal.stdout.contains("3/3 segments · 3 changes"), "\(onTerminal.stdout)")
        #expect(onTerminal.stdout.contains("pulled 3 changes"))

        let piped = try cli.run(["sync", "--device", "tablet"])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("reading the vault"), "\(piped.stderr)")
        #expect(piped.stdout.hasPrefix("pulled 3 changes"), "\(piped.stdout)")
    }
}
