import Foundation
import Testing
import TandemCore
@testable import TandemTerminal

/// A terminal in memory that gives the app its next key only once the last
/// frame shows what the script waits for: the whole app runs (loop, effect
/// runner, watcher, real store and vault) with keys typed as a person would.
final class ScriptedBackend: TerminalBackend, @unchecked Sendable {
    struct Step {
        var waitFor: String?
        var key: Key
    }

    let size: (width: Int, height: Int)
    private var steps: [Step]
    private(set) var frames: [Grid] = []
    /// Long, for a loaded machine: the whole suite runs beside it.
    private let deadline = Date().addingTimeInterval(180)
    /// What the script waited for and never saw, with the last frame.
    private(set) var stuck: String?

    init(width: Int, height: Int, _ steps: [Step]) {
        size = (width, height)
        self.steps = steps
    }

    var lastText: String { frames.last?.text ?? "" }
    /// Steps the app never took: it quit before them.
    var untaken: Int { steps.count }

    func draw(_ grid: Grid) { frames.append(grid) }

    func readKey(timeoutMilliseconds: Int) -> Key? {
        guard let step = steps.first else { return nil }
        if let text = step.waitFor, !lastText.contains(text) {
            guard Date() < deadline else {
                stuck = "never saw \"\(text)\"; the screen:\n\(lastText)"
                steps = []
                return .control("c")
            }
            Thread.sleep(forTimeInterval: Double(min(timeoutMilliseconds, 20)) / 1000)
            return nil
        }
        steps.removeFirst()
        return step.key
    }

    func suspend() {}
    func resume() {}
}

/// "wait for this, then press that".
func after(_ text: String?, _ key: Key) -> ScriptedBackend.Step {
    ScriptedBackend.Step(waitFor: text, key: key)
}

struct FixedClock: WallClock {
    var millis: Int64
    func nowMillis() -> Int64 { millis }
}

@Suite(.serialized) struct WholeAppTests {
    /// A vault with laptop and phone; phone has inserted friends/alice,
    /// friends/bob and friends/k10 and friends/k2 and pushed them.
    func world() async throws -> (folder: URL, laptop: DeviceStore, phone: DeviceStore) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-app-" + UUID().uuidString)
        let root = folder.appendingPathComponent("vault")
        let created = try Vault.create(at: root, owner: "alice", protection: .none)
        let laptop = try DeviceStore.create(at: folder.appendingPathComponent("laptop.sqlite").path, name: "laptop",
                                            vault: Vault(root: root), descriptor: created.descriptor)
        let phone = try DeviceStore.create(at: folder.appendingPathComponent("phone.sqlite").path, name: "phone",
                                           vault: Vault(root: root), descriptor: created.descriptor)
        for (key, value) in [("alice", #"{"age":30}"#), ("bob", #"{"note":"a long note about bob"}"#), ("k10", "10"), ("k2", "2")] {
            try phone.write(context: "friends", key: key, value: value)
        }
        _ = try await Synchronizer(device: Device(store: phone)).sync(policies: .all(.accept))
        return (folder, laptop, phone)
    }

    func run(_ store: DeviceStore, width: Int = 120, height: Int = 40, _ steps: [ScriptedBackend.Step]) async -> ScriptedBackend {
        let backend = ScriptedBackend(width: width, height: height, steps)
        await Self.onThread(TerminalApp(device: Device(store: store), backend: backend, theme: .dark, idleFile: nil))
        return backend
    }

    /// Runs the app's loop on a thread of its own, as `tandem tui` does: it
    /// blocks, and on one of the few shared async threads it would starve
    /// the syncs it starts.
    static func onThread(_ app: TerminalApp) async {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                app.run()
                continuation.resume()
            }
        }
    }

    @Test func aPersonMarksOneChangeAcceptsItFiltersAndReadsAValue() async throws {
        let (folder, laptop, _) = try await world()
        defer { try? FileManager.default.removeItem(at: folder) }
        let backend = await run(laptop, [
            // The first sync brought four changes: the prompt steps through them.
            after("1 of 4", .character("q")),
            after("the rest wait", .character("2")),
            // In natural order: alice, bob, k2, k10.
            after("Incoming changes (4)", .down),
            after(nil, .character(" ")),
            after("1 marked", .character("A")),
            after("Accept the 1 marked changes? [y/n]", .character("y")),
            after("accepted 1", .character("/")),
            after(nil, .character("k")),
            after("Incoming changes (2) matching 'k'", .escape),
            after("Incoming changes (3)", .enter),
            after("friends/alice · incoming", .escape),
            after(nil, .character("q")),
        ])
        #expect(backend.stuck == nil, "\(backend.stuck ?? "")")
        #expect(backend.untaken == 0, "the app quit before the script ended")
        let states = Dictionary(uniqueKeysWithValues: try laptop.entryRows().map { ($0.key, $0.state) })
        #expect(states == ["alice": .incoming, "bob": .inSync, "k2": .incoming, "k10": .incoming])
        let order = try laptop.entryRows().map(\.key)
        #expect(order == ["alice", "bob", "k2", "k10"])
    }

    @Test func theFrameAtTheEndIsDrawnFromTheStateReduceMade() async throws {
        let (folder, laptop, _) = try await world()
        defer { try? FileManager.default.removeItem(at: folder) }
        let backend = ScriptedBackend(width: 80, height: 24, [after("1 of 4", .character("q")), after("the rest wait", .character("q"))])
        let app = TerminalApp(device: Device(store: laptop), backend: backend, theme: .dark, idleFile: nil)
        app.announce("theme: no such theme; using the default")
        await Self.onThread(app)
        #expect(backend.stuck == nil, "\(backend.stuck ?? "")")
        #expect(backend.untaken == 0, "the app quit before the script ended")
        #expect(backend.frames.contains { $0.text.contains("theme: no such theme") }, "an announcement goes through reduce and shows")
        #expect(AppView().render(app.currentState).text == backend.lastText, "what shows is what the state draws")
        #expect(app.currentState.size == TerminalSize(80, 24))
    }
}
