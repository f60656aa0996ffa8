import ArgumentParser
import Foundation
import TandemCore
import TandemTerminal

struct TuiCommand: ParsableCommand {
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

    func run() throws {
        let store = try global.openStore()
        let environment = ProcessInfo.processInfo.environment
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let name = theme ?? environment["TANDEM_THEME"].flatMap { $0.isEmpty ? nil : $0 } ?? "dark"
        let (loaded, themeError) = ThemeLoader.load(name)
        NCursesBackend.installCrashHandlers()
        let backend = try NCursesBackend(monochrome: noColor)
        defer { NCursesBackend.restoreTerminal() }
        let app = TerminalApp(store: store, backend: backend, theme: noColor || !backend.hasColor ? loaded.withoutColor : loaded)
        if let themeError { app.announce("theme: \(themeError.description); using the default") }
        app.run()
    }
}
