import Foundation
import TandemCore
import TandemSimulation

/// Runs what the reducer asks for: reads and the person's changes off the
/// UI thread, answering with actions in the inbox; the editor here, with
/// the terminal handed over to it. It never touches the UI's state.
final class EffectRunner: @unchecked Sendable {
    private let backend: any TerminalBackend
    let inbox = Inbox()
    private let running = RunningEffects()
    /// Where the person's changes run, one after another.
    private let changes = DispatchQueue(label: "tandem.changes")
    /// Where reads of the store run (a reload, a search), one after another
    /// so that their answers arrive in the order asked: they block on the
    /// disk, which the few shared async threads must not, or a sync would
    /// wait for a thread while a long read holds it.
    private let reads = DispatchQueue(label: "tandem.reads")
    private let clock: any WallClock
    /// In `tandem demo`: the simulated devices, and the name of the one shown.
    let demo: LiveDemo?
    private let storeLock = NSLock()
    private var shownDevice: Device
    private var shownName: String?

    init(device: Device, backend: any TerminalBackend, demo: LiveDemo?, clock: any WallClock) {
        self.shownDevice = device
        self.shownName = try? device.store.info().name
        self.backend = backend
        self.demo = demo
        self.clock = clock
    }

    /// The device on screen; in the demo, looked up by name each time,
    /// because a reinstall replaces a device's store (the demo's devices
    /// remember the vault key).
    var device: Device {
        storeLock.withLock {
            if let demo, let shownName, let current = demo.store(named: shownName), current !== shownDevice.store {
                shownDevice = Device(store: current)
            }
            return shownDevice
        }
    }

    var store: DeviceStore { device.store }

    /// True when nothing runs and no answer waits to be taken.
    var isIdle: Bool { running.isIdle && inbox.isEmpty }

    /// Waits for what runs to end (before the store closes).
    func waitUntilIdle(timeout: Duration) {
        running.waitUntilIdle(timeout: timeout)
    }

    /// Starts `effect`; returns the actions that answer it at once (a
    /// detail read here, an edit that took the terminal, a device switch).
    func run(_ effect: Effect) -> [Action] {
        switch effect {
        case .quit:
            return []
        case .loadDetail(let ref):
            // One row read by its key costs less than a frame: done here,
            // the next frame already shows the entry's versions.
            return [.detailLoaded(loadDetail(ref))]
        case .switchDevice(let name):
            guard let demo, let next = demo.store(named: name) else { return [.failed(message: "no device \(name) in this demo")] }
            storeLock.withLock { (shownDevice, shownName) = (Device(store: next), name) }
            return [.switchedDevice(name)]
        case .edit(let purpose, let ref, let initial):
            // The editor needs the terminal: it runs here, with the UI suspended.
            backend.suspend()
            let result = ValueEditor.edit(initial)
            backend.resume()
            finishEdit(purpose, ref, result)
            return []
        default:
            // The device is the one on screen when the effect was asked
            // for, whatever the person switches to while it runs.
            let device = self.device
            let name = storeLock.withLock { shownName } ?? ""
            running.begin()
            if Self.keepsOrder(effect) {
                // A person's changes run one at a time, in the order asked: `u` right
                // after `a` must take back that accept, not the one before it.
                changes.async { [self] in
                    self.change(effect, on: device)
                    running.end()
                }
            } else if Self.isRead(effect) {
                reads.async { [self] in
                    self.read(effect, on: device)
                    running.end()
                }
            } else {
                Task.detached { [self] in
                    await self.execute(effect, on: device, name: name)
                    running.end()
                }
            }
            return []
        }
    }

    private func finishEdit(_ purpose: EditPurpose, _ ref: EntryRef, _ result: Result<String, ValueEditor.Failure>) {
        let label = Escaped.entry(ref.context, ref.key)
        do {
            let text = try result.get()
            switch purpose {
            case .create, .update:
                let outcome = try store.write(context: ref.context, key: ref.key, value: text)
                inbox.post(.finished(message: outcome == .unchanged ? "\(label): unchanged" : "\(label) written — \(Self.publishing)"))
            case .merge:
                try store.resolve(context: ref.context, key: ref.key, .merge(value: ValueEditor.value(ofMergeFile: text)))
                inbox.post(.finished(message: "merged \(label) — \(Self.publishing)"))
            }
        } catch let error as TandemError {
            inbox.post(.failed(message: "\(error.description); nothing was written"))
        } catch let error as ValueEditor.Failure {
            inbox.post(.failed(message: error.description))
        } catch {
            inbox.post(.failed(message: String(describing: error)))
        }
    }

    private func loadDetail(_ ref: EntryRef) -> LoadedDetail {
        do {
            return LoadedDetail(ref: ref, status: try store.entry(context: ref.context, key: ref.key))
        } catch {
            return LoadedDetail(ref: ref, status: nil, error: error.description)
        }
    }

    private func execute(_ effect: Effect, on device: Device, name: String) async {
        let store = device.store
        do {
            switch effect {
            case .demo(let request):
                try steer(request)
            case .sync, .syncHoldingBack:
                do {
                    let policies = PolicyMap.forPerson(stored: try store.policies())
                    var synchronizer = Synchronizer(device: device)
                    if effect == .syncHoldingBack { synchronizer.holdBackMillis = AppState.publishGraceMillis }
                    let inbox = self.inbox
                    synchronizer.progress = { inbox.post(.syncProgress(device: name, $0)) }
                    let report = try await synchronizer.sync(policies: policies)
                    inbox.post(.synced(device: name, message: Self.describe(report),
                                       broughtIncoming: report.changesPulled > 0 && report.waiting > 0))
                } catch {
                    inbox.post(.syncFailed(device: name, message: error.description))
                }
            case .snapshot(let folder):
                inbox.post(.snapshotEnded(await Self.backUp(folder, device: device, inbox: inbox)))
            case .decide, .decideShown, .resolve, .undo, .delete, .quit, .edit, .loadDetail, .switchDevice, .reload, .searchValues:
                break
            }
        } catch let error as TandemError {
            inbox.post(.failed(message: error.description))
        } catch {
            inbox.post(.failed(message: String(describing: error)))
        }
    }

    static func isRead(_ effect: Effect) -> Bool {
        switch effect {
        case .reload, .searchValues: true
        default: false
        }
    }

    /// A read of the store: what the screens show, or a filter's matches.
    private func read(_ effect: Effect, on device: Device) {
        let store = device.store
        do {
            switch effect {
            case .reload:
                inbox.post(.loaded(try Snapshot.load(device, demo: demo?.currentStatus, now: clock.nowMillis())))
            case .searchValues(let text):
                let names = try store.entryNames(withValueContaining: text)
                inbox.post(.valueMatches(ValueMatches(text: text, names: names)))
            default:
                break
            }
        } catch {
            inbox.post(.failed(message: (error as? TandemError)?.description ?? String(describing: error)))
        }
    }

    /// What becomes of a change made here, said the same way everywhere.
    static let publishing = "published in \(AppState.publishGraceMillis / 1000) s (s now, u undoes it)"

    static func keepsOrder(_ effect: Effect) -> Bool {
        switch effect {
        case .decide, .decideShown, .resolve, .undo, .delete: true
        default: false
        }
    }

    /// A decision, resolution, undo or deletion the person asked for.
    private func change(_ effect: Effect, on device: Device) {
        let store = device.store
        do {
            switch effect {
            case .decide(let decision, let refs):
                for ref in refs { try store.decide(decision, context: ref.context, key: ref.key) }
                let what = refs.count == 1 ? Escaped.entry(refs[0].context, refs[0].key) : "\(refs.count) changes"
                inbox.post(.finished(message: "\(decision.rawValue): \(what)" + (decision == .keepMine ? " — \(Self.publishing)" : "")))
            case .decideShown(let decision, let shown):
                // What moved since the question was asked is left for review, never a stop halfway.
                var done = 0, moved = 0
                let action = shown.count > 1 ? try store.newAction() : nil
                for change in shown {
                    do {
                        try store.decide(decision, context: change.ref.context, key: change.ref.key, shown: change.version, action: action)
                        done += 1
                    } catch .changedSince, .noSuchChange, .noSuchEntry {
                        moved += 1
                    }
                }
                let verb = decision == .accept ? "accepted" : "refused"
                inbox.post(.finished(message: "\(verb) \(done)" + (moved > 0 ? "; \(moved) changed since and were left for review" : "")))
            case .resolve(let ref, let resolution):
                try store.resolve(context: ref.context, key: ref.key, resolution)
                inbox.post(.finished(message: "resolved \(Escaped.entry(ref.context, ref.key)) — \(Self.publishing)"))
            case .undo:
                let undone = try device.undoLastDecision()
                let entry = undone.status
                if undone.count > 1 {
                    inbox.post(.finished(message: "undid \(undone.label) of \(undone.count - undone.changedSince) changes"
                                         + (undone.changedSince > 0 ? "; \(undone.changedSince) changed since and were left as they are" : "")))
                } else {
                    inbox.post(.finished(message: "undid \(undone.label): \(Escaped.entry(entry.context, entry.key)) is \(entry.state.rawValue) again"))
                }
            case .delete(let ref):
                try store.write(context: ref.context, key: ref.key, value: nil)
                inbox.post(.finished(message: "deleted \(Escaped.entry(ref.context, ref.key)) — \(Self.publishing)"))
            default:
                break
            }
        } catch {
            inbox.post(.failed(message: error.description))
        }
    }

    /// Runs a snapshot on a thread of its own (it blocks on the disk, which
    /// the shared async threads must not), reporting its progress as actions.
    private static func backUp(_ folder: String, device: Device, inbox: Inbox) async -> String {
        let path = NSString(string: folder).expandingTildeInPath
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let result = try device.snapshots.createSnapshot(of: path) { progress in inbox.post(.snapshotProgress(progress)) }
                    var line = "snapshot \(result.snapshotID?.prefix(8) ?? ""): \(result.message) · \(result.fileCount) files"
                    line += String(format: ", %.1f MB read, %.1f MB written in %.1f s", Double(result.bytesProcessed) / 1e6,
                                   Double(result.bytesWritten) / 1e6, result.durationSeconds)
                    continuation.resume(returning: line)
                } catch {
                    continuation.resume(returning: "snapshot of \(folder) failed: \(error)")
                }
            }
        }
    }

    private func steer(_ request: DemoRequest) throws {
        guard let demo else { return }
        switch request {
        case .pause(let paused): demo.setPaused(paused)
        case .speed(let factor): demo.changeSpeed(by: factor)
        case .toggleOnline(let name): try demo.toggleOnline(name)
        case .reinstall(let name): try demo.requestReinstall(name)
        }
        inbox.post(.finished(message: describe(request, demo.currentStatus)))
    }

    private func describe(_ request: DemoRequest, _ status: DemoStatus) -> String {
        switch request {
        case .pause(let paused): paused ? "the simulated devices are paused (p resumes)" : "the simulated devices go on"
        case .speed: String(format: "the simulated devices act at ×%g speed", status.speed)
        case .toggleOnline(let name):
            status.device(name)?.online == true ? "\(name) is back online" : "\(name) is offline: its writes queue"
        case .reinstall(let name): "reinstalling \(name): its store is wiped and restored from the vault"
        }
    }

    static func describe(_ report: SyncReport) -> String {
        guard report.online else { return "offline: \(report.waitingToPush) changes wait to be pushed" }
        if let change = report.identityChange { return change.description }
        var text = "synced: pulled \(report.changesPulled), pushed \(report.changesPushed)"
        if report.waiting > 0 { text += " · \(report.waiting) incoming" }
        if report.conflicts > 0 { text += " · \(report.conflicts) conflicts" }
        if let problem = report.problems.first {
            text += " · \(report.problems.count == 1 ? "a problem" : "\(report.problems.count) problems") (6, Enter reads it): \(problem.message)"
        }
        return text
    }
}

/// Counts the effects running off the UI thread, so that quitting waits for them.
final class RunningEffects: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var isIdle: Bool { lock.withLock { count == 0 } }

    func begin() { lock.withLock { count += 1 } }
    func end() { lock.withLock { count -= 1 } }

    func waitUntilIdle(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while lock.withLock({ count }) > 0 && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}

/// Actions posted by effects running elsewhere, taken by the UI loop.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var actions: [Action] = []

    func post(_ action: Action) {
        lock.lock(); defer { lock.unlock() }
        actions.append(action)
    }

    var isEmpty: Bool {
        lock.lock(); defer { lock.unlock() }
        return actions.isEmpty
    }

    func drain() -> [Action] {
        lock.lock(); defer { lock.unlock() }
        defer { actions.removeAll() }
        return actions
    }
}
