import ArgumentParser
import Foundation
import TandemCore
import TandemTerminal

struct TuiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Review this device's entries, incoming changes and conflicts in the terminal.",
        discussion: "Keys: ? shows them all. Example: tandem tui --device laptop")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let store = try global.openStore()
        let monochrome = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        NCursesBackend.installCrashHandlers()
        let backend = try NCursesBackend(monochrome: monochrome)
        defer { NCursesBackend.restoreTerminal() }
        TerminalApp(store: store, backend: backend, theme: monochrome ? .monochrome : .dark).run()
    }
}
