import Foundation
import TandemCore

/// Runs the UI: reads keys, reduces, draws; runs effects off the UI thread
/// and feeds their results back as actions; watches the vault.
public final class TerminalApp: @unchecked Sendable {
    private let store: DeviceStore
    private let backend: any TerminalBackend
    private let view: AppView
    private let inbox = Inbox()
    private var state = AppState()
    private var vaultSignature: Int?
    private var lastWatch = Date.distantPast

    public init(store: DeviceStore, backend: any TerminalBackend, theme: Theme) {
        self.store = store
        self.backend = backend
        self.view = AppView(theme: theme)
    }

    /// Shows `message` in the message line (a theme that could not be read, say).
    public func announce(_ message: String) {
        state.notice = message
    }

    /// Runs until the person quits.
    public func run() {
        state.size = backend.size
        perform([.reload, .sync])
        state.syncing = true
        var dirty = true
        while !state.quitting {
            for action in inbox.drain() {
                perform(reduce(&state, action))
                dirty = true
            }
            if dirty {
                backend.draw(view.render(state))
                dirty = false
            }
            if let key = backend.readKey(timeoutMilliseconds: 100) {
                if key == .resize {
                    perform(reduce(&state, .resized(width: backend.size.width, height: backend.size.height)))
                } else {
                    perform(reduce(&state, .key(key)))
                }
                dirty = true
            }
            if watchVault() {
                perform(reduce(&state, .vaultChanged))
                dirty = true
            }
        }
    }

    private func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .quit: continue
            case .loadDetail(let ref):
                // One row read by its key costs less than a frame: done here,
                // the next frame already shows the entry's versions.
                perform(reduce(&state, .detailLoaded(loadDetail(ref))))
            case .edit(let purpose, let ref, let initial):
                // The editor needs the terminal: it runs here, with the UI suspended.
                backend.suspend()
                let result = ValueEditor.edit(initial)
                backend.resume()
                finishEdit(purpose, ref, result)
            default:
                Task.detached { [self] in await self.execute(effect) }
            }
        }
    }

    private func finishEdit(_ purpose: EditPurpose, _ ref: EntryRef, _ result: Result<String, ValueEditor.Failure>) {
        let label = "\(ref.context)/\(Escaped.text(ref.key))"
        do {
            let text = try result.get()
            switch purpose {
            case .create, .update:
                let outcome = try store.write(context: ref.context, key: ref.key, value: text)
                inbox.post(.finished(message: outcome == .unchanged ? "\(label): unchanged" : "\(label) written — press s to publish"))
            case .merge:
                try store.resolve(context: ref.context, key: ref.key, .merge(value: text))
                inbox.post(.finished(message: "merged \(label) — press s to publish"))
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
        LoadedDetail(ref: ref, status: try? store.entry(context: ref.context, key: ref.key))
    }

    private func execute(_ effect: Effect) async {
        let store = self.store
        do {
            switch effect {
            case .reload:
                inbox.post(.loaded(try Snapshot.load(store)))
            case .sync:
                var policies = PolicyMap(contexts: try store.policies())
                for (context, policy) in policies.contexts where policy == .handlers { policies.contexts[context] = .review }
                let report = try await Synchronizer(store: store).sync(policies: policies)
                inbox.post(.synced(message: Self.describe(report), broughtIncoming: report.changesPulled > 0 && report.waiting > 0))
            case .decide(let decision, let refs):
                for ref in refs { try store.decide(decision, context: ref.context, key: ref.key) }
                let what = refs.count == 1 ? "\(refs[0].context)/\(Escaped.text(refs[0].key))" : "\(refs.count) changes"
                inbox.post(.finished(message: "\(decision.rawValue): \(what)" + (decision == .keepMine ? " — press s to publish" : "")))
            case .resolve(let ref, let resolution):
                try store.resolve(context: ref.context, key: ref.key, resolution)
                inbox.post(.finished(message: "resolved \(ref.context)/\(Escaped.text(ref.key)) — press s to publish"))
            case .delete(let ref):
                try store.write(context: ref.context, key: ref.key, value: nil)
                inbox.post(.finished(message: "deleted \(ref.context)/\(Escaped.text(ref.key)) — press s to publish"))
            case .quit, .edit, .loadDetail:
                break
            }
        } catch let error as TandemError {
            inbox.post(.failed(message: error.description))
        } catch {
            inbox.post(.failed(message: String(describing: error)))
        }
    }

    static func describe(_ report: SyncReport) -> String {
        guard report.online else { return "offline: \(report.waitingToPush) changes wait to be pushed" }
        var text = "synced: pulled \(report.changesPulled), pushed \(report.changesPushed)"
        if report.waiting > 0 { text += " · \(report.waiting) incoming" }
        if report.conflicts > 0 { text += " · \(report.conflicts) conflicts" }
        if let problem = report.problems.first { text += " · error: \(problem.message)" }
        return text
    }

    /// Once a second, a cheap look at the vault's logs: true when another
    /// device pushed (or the vault came back).
    private func watchVault() -> Bool {
        guard Date().timeIntervalSince(lastWatch) >= 1 else { return false }
        lastWatch = Date()
        guard let path = state.snapshot?.vaultPath else { return false }
        let log = URL(fileURLWithPath: path).appendingPathComponent("log")
        var signature = 0
        let manager = FileManager.default
        for device in (try? manager.contentsOfDirectory(atPath: log.path)) ?? [] {
            signature &+= device.hashValue &+ ((try? manager.contentsOfDirectory(atPath: log.appendingPathComponent(device).path))?.count ?? 0)
        }
        defer { vaultSignature = signature }
        return vaultSignature != nil && vaultSignature != signature
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

    func drain() -> [Action] {
        lock.lock(); defer { lock.unlock() }
        defer { actions.removeAll() }
        return actions
    }
}
