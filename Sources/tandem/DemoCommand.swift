import ArgumentParser
import Foundation
import TandemCore
import TandemSimulation
import TandemTerminal

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Three devices on one vault, live: review in the terminal UI what the others do.",
        discussion: """
            Makes a workspace with a vault and the devices laptop, phone and tablet, with sample contexts \
            (friends, messages, settings, installed-apps), and opens the terminal UI as laptop. In the background, \
            phone and tablet act out a seeded story in real time: messages arrive, friends are edited, apps are \
            uninstalled, laptop and phone change the same setting at once (a conflict), tablet goes offline and comes \
            back, and is reinstalled and restores everything from the vault. In the UI: v views the next device, \
            p pauses, + and - change the pace, and on the devices screen (5) o takes a device offline or online, \
            I reinstalls it, Enter views it.

            The workspace stays after you quit. Open another device of it in a second terminal, in its own process:
              tandem tui --home WORKSPACE --device phone

            Example: tandem demo --dir /tmp/tandem-demo --seed 7
            """)

    @Option(help: ArgumentHelp("Workspace folder (default: demo/ in the data dir). A previous demo there is replaced.", valueName: "PATH"))
    var dir: String?
    @Option(help: "Seed of the devices' story; the same seed tells the same story.") var seed: UInt64 = 7
    @Option(help: "Theme name (default: $TANDEM_THEME, else dark).") var theme: String?

    static let marker = ".tandem-demo"

    func run() async throws {
        try TerminalSession.requireTerminal(for: "tandem demo", instead: "'tandem simulate' runs devices without one")
        let workspace = URL(fileURLWithPath: dir ?? DeviceHome.defaultRoot().appendingPathComponent("demo").path).standardizedFileURL
        try prepare(workspace)
        Output.line("Creating the demo in \(workspace.path)…")
        let demo = try await LiveDemo.create(at: workspace, seed: seed)
        guard let laptop = demo.store(named: demo.watched) else { throw TandemError.noSuchDevice(name: demo.watched) }
        demo.start()
        let outcome = await TerminalSession.run(device: Device(store: laptop), theme: theme, demo: demo)
        await demo.stop()
        try outcome.get()
        Output.lines("""
            The demo's workspace stays in \(workspace.path).
              another device in its own process:  tandem tui --home \(workspace.path) --device phone
              the same from the command line:      tandem ls --home \(workspace.path) --device laptop
              once more, the same story:           tandem demo --dir \(workspace.path) --seed \(seed)
            (from the package folder, type 'swift run tandem' for 'tandem')
            """)
    }

    private func prepare(_ workspace: URL) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: workspace.path) {
            let contents = (try? manager.contentsOfDirectory(atPath: workspace.path)) ?? []
            guard contents.isEmpty || contents.contains(Self.marker) else {
                throw TandemError.io(path: workspace.path, reason: "exists and is not a previous demo; choose another --dir")
            }
            try manager.removeItem(at: workspace)
        }
        try manager.createDirectory(at: workspace, withIntermediateDirectories: true)
        guard manager.createFile(atPath: workspace.appendingPathComponent(Self.marker).path, contents: Data()) else {
            throw TandemError.io(path: workspace.path, reason: "cannot write in this folder")
        }
    }
}
