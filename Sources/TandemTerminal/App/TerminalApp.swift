import Foundation
import TandemCore
import TandemSimulation

/// The UI's loop: reads keys, reduces, draws; hands effects to the
/// ``EffectRunner`` and reduces its answers; asks the ``VaultWatcher`` what
/// changed elsewhere. Only ``reduce(_:_:)`` changes the state.
public final class TerminalApp: @unchecked Sendable {
    private let backend: any TerminalBackend
    private let view: AppView
    private let runner: EffectRunner
    private let watcher = VaultWatcher()
    private let clock: any WallClock
    private var state = AppState()
    /// Where the loop says it is idle, when `TANDEM_IDLE_FILE` names a file:
    /// tests wait for it instead of polling the screen for text.
    private let idleFile: String?
    private var keysRead = 0
    private var lastIdleMark: String?

    public init(device: Device, backend: any TerminalBackend, theme: Theme, demo: LiveDemo? = nil, clock: any WallClock = SystemClock(),
                idleFile: String? = ProcessInfo.processInfo.environment["TANDEM_IDLE_FILE"]) {
        self.backend = backend
        self.view = AppView(theme: theme)
        self.clock = clock
        self.runner = EffectRunner(device: device, backend: backend, demo: demo, clock: clock)
        self.idleFile = idleFile.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Shows `message` in the message line until the next key (a theme that
    /// could not be read, say).
    public func announce(_ message: String) {
        runner.inbox.post(.announce(message))
    }

    /// The state now, for tests that drive the whole app.
    var currentState: AppState { state }

    /// Runs until the person quits.
    public func run() {
        handle(.started(TerminalSize(backend.size.width, backend.size.height)))
        var dirty = true
        while !state.quitting {
            for action in runner.inbox.drain() {
                handle(action)
                dirty = true
            }
            if dirty {
                backend.draw(view.render(state))
                dirty = false
                markIdle()
            }
            if let key = backend.readKey(timeoutMilliseconds: 100) {
                keysRead += 1
                if key == .resize {
                    handle(.resized(width: backend.size.width, height: backend.size.height))
                } else {
                    handle(.key(key))
                }
                dirty = true
            }
            if let change = watcher.look(at: runner.device, demo: runner.demo?.currentStatus) {
                handle(change)
                dirty = true
            }
            let now = clock.nowMillis()
            if let shown = state.snapshot?.nowMillis, now / 1000 != shown / 1000 {
                handle(.tick(nowMillis: now))
                dirty = true
            }
        }
        // A decision or a write still under way finishes before the store closes.
        runner.waitUntilIdle(timeout: .seconds(30))
    }

    /// Reduces `action`, then runs what it asks for, reducing the answers
    /// that come at once.
    private func handle(_ action: Action) {
        if case .switchedDevice = action { watcher.reset() }
        var pending = [action]
        while !pending.isEmpty {
            let next = pending.removeFirst()
            for effect in reduce(&state, next) { pending += runner.run(effect) }
        }
    }

    /// Writes "idle N" (N keys read so far) once a frame is drawn with
    /// nothing running and nothing waiting to be reduced.
    private func markIdle() {
        guard let idleFile, runner.isIdle else { return }
        let mark = "idle \(keysRead)\n"
        guard mark != lastIdleMark else { return }
        lastIdleMark = mark
        try? Data(mark.utf8).write(to: URL(fileURLWithPath: idleFile), options: .atomic)
    }
}
