import ArgumentParser
import Foundation
import TandemCore
import TandemSimulation
import TandemTerminal

struct TuiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Review this device's entries, incoming changes and conflicts in the terminal.",
        discussion: """
            Keys: ? shows them all. Themes: \(ThemeLoader.builtinNames.joined(separator: ", ")), or your own \
            ~/.config/tandem/themes/NAME.toml. NO_COLOR turns colour off.
            Example: tandem tui --device laptop --theme light
            """)

    @Option(help: "Theme name (default: $TANDEM_THEME, else dark).") var theme: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try TerminalSession.requireTerminal(for: "tandem tui", instead: "from a script, use tandem incoming, accept, refuse and resolve")
        // The passphrase is asked before the screen is taken over, like ssh does.
        try await TerminalSession.run(device: try global.openUnlockedDevice(), theme: theme).get()
    }
}

/// Runs the terminal UI on one device until the person quits, on a thread of
/// its own (its loop blocks on the keyboard), and restores the terminal
/// however it ends.
enum TerminalSession {
    /// Refuses to start without a terminal on stdin and stdout: curses
    /// would write its escape codes into a pipe or file and wait for ever
    /// for keys that never come. Exit 2, with one line saying why.
    static func requireTerminal(for command: String, instead: String) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            let which = isatty(STDIN_FILENO) == 1 ? "standard output" : "standard input"
            Output.error("\(command) needs a terminal, and its \(which) is not one; \(instead)")
            throw ExitCode(2)
        }
    }

    static func run(device: Device, theme: String?, demo: LiveDemo? = nil) async -> Result<Void, any Error> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { try runHere(device: device, theme: theme, demo: demo) })
            }
            thread.start()
        }
    }

    private static func runHere(device: Device, theme: String?, demo: LiveDemo?) throws {
        let environment = ProcessInfo.processInfo.environment
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let name = theme ?? environment["TANDEM_THEME"].flatMap { $0.isEmpty ? nil : $0 } ?? "dark"
        let (loaded, themeError) = ThemeLoader.load(name)
        NCursesBackend.installCrashHandlers()
        let backend = try NCursesBackend(monochrome: noColor)
        defer { NCursesBackend.restoreTerminal() }
        let app = TerminalApp(device: device, backend: backend, theme: noColor || !backend.hasColor ? loaded.withoutColor : loaded, demo: demo)
        if let themeError { app.announce("theme: \(themeError.description); using the default") }
        app.run()
    }
}
