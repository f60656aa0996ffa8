import TandemCore
import TandemSimulation

/// What happened: a key, data that arrived, work that finished.
public enum Action: Sendable {
    /// The UI starts on a terminal of this size: the first reload and sync.
    case started(TerminalSize)
    /// A message that stays until the next key (a theme that could not be read).
    case announce(String)
    case key(Key)
    case loaded(Snapshot)
    case finished(message: String)
    /// A sync of `device` ended; `broughtIncoming` when it pulled changes that now wait.
    case synced(device: String, message: String, broughtIncoming: Bool)
    /// A sync of `device` could not run.
    case syncFailed(device: String, message: String)
    /// How far the running sync of `device` has read the vault (a long first sync).
    case syncProgress(device: String, SyncProgress)
    case failed(message: String)
    case resized(width: Int, height: Int)
    /// A second passed: relative times ("synced 5s ago") move on.
    case tick(nowMillis: Int64)
    /// The vault changed on disk (another device pushed).
    case vaultChanged
    /// The store changed behind the UI's back (another process, the demo).
    case storeChanged
    /// The versions of one entry, read from the store.
    case detailLoaded(LoadedDetail)
    /// The UI now shows another device (the demo's device switch).
    case switchedDevice(String)
    /// How far the snapshot started from the UI is.
    case snapshotProgress(SnapshotProgress)
    /// The snapshot started from the UI ended: its result line, or why it failed.
    case snapshotEnded(String)
    /// The entries whose whole value holds a filter's words.
    case valueMatches(ValueMatches)
}

/// Work the reducer asks for; it runs off the UI thread and answers with actions.
public enum Effect: Sendable, Equatable {
    case reload
    /// A sync the person asked for: it publishes everything.
    case sync
    /// A sync the UI started (the vault changed, the grace ended): changes
    /// made in the last `AppState.publishGraceMillis` stay unpublished.
    case syncHoldingBack
    case decide(Decision, [EntryRef])
    /// Decides each change as shown; those that changed since are left alone and counted.
    case decideShown(Decision, [ShownChange])
    case resolve(EntryRef, Resolution)
    /// Takes back the latest decision not yet published.
    case undo
    /// Opens `$EDITOR` on `initial`; the result is written, or resolves a conflict.
    case edit(EditPurpose, EntryRef, initial: String)
    case delete(EntryRef)
    /// Reads one entry's versions (one row by key: cheaper than a frame).
    case loadDetail(EntryRef)
    /// Finds the entries whose whole value holds a filter's words.
    case searchValues(String)
    /// Shows another device of the demo.
    case switchDevice(String)
    /// Steers the demo's simulated devices.
    case demo(DemoRequest)
    /// Takes a snapshot of a folder.
    case snapshot(String)
    case quit
}

/// What the person asks of the demo's simulated devices.
public enum DemoRequest: Sendable, Equatable {
    case pause(Bool)
    case speed(by: Double)
    case toggleOnline(String)
    case reinstall(String)
}

/// What an edited value becomes.
public enum EditPurpose: Sendable, Equatable {
    case create, update, merge
}

/// The only place the state changes: pure, so the review flow is tested
/// without a terminal. After every action it asks for the versions of the
/// entry on screen when they are not loaded yet.
public func reduce(_ state: inout AppState, _ action: Action) -> [Effect] {
    var effects = reduceAction(&state, action)
    state.reloadsPending += effects.filter { $0 == .reload }.count
    if let wanted = state.wantedDetail, state.detail?.ref != wanted, state.requestedDetail != wanted {
        state.requestedDetail = wanted
        effects.append(.loadDetail(wanted))
    }
    return effects
}

private func reduceAction(_ state: inout AppState, _ action: Action) -> [Effect] {
    switch action {
    case .detailLoaded(let detail):
        if state.requestedDetail == detail.ref { state.requestedDetail = nil }
        state.detail = detail
        if let error = detail.error { state.message = "error: \(error)" }
        return []
    case .loaded(let snapshot):
        state.reloadsPending = max(0, state.reloadsPending - 1)
        guard state.device == nil || state.device == snapshot.device else { return [] }
        state.device = snapshot.device
        state.snapshot = snapshot
        // The versions shown may have changed with the store: read them again.
        state.detail = nil
        state.requestedDetail = nil
        state.contextIndex = min(state.contextIndex, state.contextNames.count - 1)
        // A reload asked for before the sync that opened the prompt may
        // arrive after it, without the changes: the prompt waits for the
        // reload that has them, and closes only when none is left to come.
        if case .prompt(let skipped)? = state.modal, state.promptEntry(skipping: skipped) == nil, state.reloadsPending == 0 {
            state.modal = nil
        }
        if !state.marked.isEmpty {
            // A marked change decided elsewhere, or superseded, is no longer marked.
            let waiting = Set(snapshot.rows.lazy.filter { $0.state == .incoming }.map(EntryRef.init))
            state.marked.formIntersection(waiting)
        }
        return []
    case .snapshotProgress(let progress):
        if state.backup?.running == true { state.backup?.progress = progress }
        return []
    case .snapshotEnded(let outcome):
        state.backup?.outcome = outcome
        state.message = outcome
        return [.reload]
    case .switchedDevice(let name):
        state.device = name
        state.reloadsPending = 0
        state.queuedSync = nil
        state.promptOwed = false
        state.snapshot = nil
        state.detail = nil
        state.requestedDetail = nil
        state.selection = [:]
        state.contextIndex = 0
        state.modal = nil
        state.syncing = true
        state.promptAfterSync = true
        state.message = "viewing \(name)"
        return [.reload, .sync]
    case .finished(let message):
        state.message = message
        return [.reload]
    case .syncProgress(let device, let progress):
        guard state.device == nil || state.device == device, state.syncing else { return [] }
        state.syncProgress = progress
        return []
    case .synced(let device, let message, let broughtIncoming):
        guard state.device == nil || state.device == device else { return [] }
        state.syncing = false
        state.syncProgress = nil
        state.message = message
        let asked = state.promptAfterSync
        state.promptAfterSync = false
        if let queued = state.queuedSync {
            // Asked for while this one ran: it may have missed what came since.
            state.queuedSync = nil
            state.syncing = true
            state.promptAfterSync = queued.prompt || asked
            state.promptOwed = state.promptOwed || (asked && broughtIncoming)
            return [.reload, state.promptAfterSync ? .sync : .syncHoldingBack]
        }
        // `s` steps through what waits, whether its sync brought it or the
        // vault watcher's sync did a moment before; the first sync, only
        // through what it brought.
        let waiting = broughtIncoming || (state.snapshot?.counts.incoming ?? 0) > 0
        let prompt = (asked && broughtIncoming) || (state.promptWhenWaiting && waiting) || state.promptOwed
        state.promptWhenWaiting = false
        state.promptOwed = false
        if prompt && state.modal == nil && state.textField == nil {
            state.modal = .prompt(skipped: [])
        } else if broughtIncoming && !prompt {
            state.message += " — 2 reviews them"
        }
        return [.reload]
    case .syncFailed(let device, let message):
        guard state.device == nil || state.device == device else { return [] }
        state.syncing = false
        state.syncProgress = nil
        state.queuedSync = nil
        state.promptAfterSync = false
        state.message = "error: " + message
        return [.reload]
    case .failed(let message):
        state.message = "error: " + message
        return [.reload]
    case .resized(let width, let height):
        state.size = TerminalSize(width, height)
        return []
    case .started(let size):
        state.size = size
        state.syncing = true
        state.promptAfterSync = true
        return [.reload, .sync]
    case .announce(let message):
        state.notice = message
        return []
    case .valueMatches(let matches):
        // An answer to words typed before the last ones is of no use.
        guard ListFilter(state.filter).text == matches.text else { return [] }
        state.valueMatches = matches
        return []
    case .tick(let now):
        state.snapshot?.nowMillis = now
        // The grace of the newest unpublished change ended: publish it.
        guard let snapshot = state.snapshot, snapshot.online, snapshot.counts.waitingToPush > 0, !state.syncing,
              let newest = snapshot.newestQueuedMillis, now >= newest + AppState.publishGraceMillis,
              state.publishedThrough != newest else { return [] }
        state.publishedThrough = newest
        state.syncing = true
        state.promptAfterSync = false
        return [.syncHoldingBack]
    case .storeChanged:
        return [.reload]
    case .vaultChanged:
        guard !state.syncing else {
            state.queuedSync = state.queuedSync ?? QueuedSync(prompt: false)
            return []
        }
        state.syncing = true
        state.promptAfterSync = false
        return [.syncHoldingBack]
    case .key(let key):
        return reduceKey(&state, key)
    }
}

private func reduceKey(_ state: inout AppState, _ key: Key) -> [Effect] {
    state.notice = nil
    guard let binding = KeyMap.binding(for: key, in: state.mode, demo: state.snapshot?.demo != nil) else { return [] }
    switch state.mode {
    case .textEntry: return reduceText(&state, key)
    case .prompt: return reducePrompt(&state, binding.command)
    case .confirm: return reduceConfirm(&state, binding.command)
    case .valueView: return reduceValueView(&state, binding.command)
    case .screen: return run(binding.command, &state)
    }
}

/// The review prompt: one change at a time.
private func reducePrompt(_ state: inout AppState, _ command: Command) -> [Effect] {
    guard case .prompt(let skipped)? = state.modal, let entry = state.promptEntry(skipping: skipped) else {
        state.modal = nil
        return []
    }
    let ref = EntryRef(entry)
    // A decided change leaves the prompt at once: a quick next key must
    // not land on it again before the store's answer arrives.
    func moveOn() {
        let next = skipped.union([ref])
        state.modal = state.promptEntry(skipping: next) == nil ? nil : .prompt(skipped: next)
        state.promptExpanded = false
    }
    switch command {
    case .promptDecide(let decision):
        moveOn()
        return [.decide(decision, [ref])]
    case .promptLater:
        moveOn()
        state.message = "left \(Escaped.entry(ref.context, ref.key)) for later"
    case .promptDiff:
        // The whole diff, inside the prompt; d again for its start.
        state.promptExpanded.toggle()
        state.message = state.promptExpanded ? "the whole diff (d shows its start)" : "the start of the diff (d shows it whole)"
    case .promptStop:
        state.modal = nil
        state.promptExpanded = false
        state.message = "the rest wait on the incoming screen (2)"
    default:
        state.message = "a accepts, r refuses, o keeps yours, l leaves it for later, d shows the whole diff, q stops"
    }
    return []
}

/// A question: like Unison's final "proceed?", there is no default, only y confirms.
private func reduceConfirm(_ state: inout AppState, _ command: Command) -> [Effect] {
    guard case .confirm(let bulk, _)? = state.modal else { return [] }
    state.modal = nil
    guard command == .confirm else {
        state.message = "cancelled"
        return []
    }
    switch bulk {
    case .decide(let decision, let shown):
        state.message = "\(decision.rawValue) \(shown.count) changes…"
        state.marked.subtract(shown.map(\.ref))
        return [.decideShown(decision, shown)]
    case .delete(let ref):
        return [.delete(ref)]
    case .quit:
        state.quitting = true
        return [.quit]
    case .reinstall(let name):
        state.message = "reinstalling \(name)…"
        return [.demo(.reinstall(name))]
    }
}

/// The value view: scrolling and searching.
private func reduceValueView(_ state: inout AppState, _ command: Command) -> [Effect] {
    guard case .value(var view)? = state.modal else { return [] }
    let page = ValueView.pageHeight(state.size)
    switch command {
    case .up: view.scroll(by: -1, size: state.size)
    case .down: view.scroll(by: 1, size: state.size)
    case .pageUp: view.scroll(by: -page, size: state.size)
    case .pageDown: view.scroll(by: page, size: state.size)
    case .top: view.scroll(by: -Int.max / 2, size: state.size)
    case .bottom: view.scroll(by: Int.max / 2, size: state.size)
    case .search:
        state.textField = TextField(.search)
    case .nextMatch, .previousMatch:
        if let word = view.search, !view.find(word, backwards: command == .previousMatch, size: state.size) {
            state.message = "'\(word)' is not in this value"
        }
    case .close:
        state.modal = nil
        return []
    default:
        break
    }
    state.modal = .value(view)
    return []
}

/// A line being typed: the same keys for every purpose; what Enter does
/// depends on what the line is for.
private func reduceText(_ state: inout AppState, _ key: Key) -> [Effect] {
    guard var field = state.textField else { return [] }
    let outcome = field.handle(key)
    state.textField = field
    switch (field.purpose, outcome) {
    case (_, .ignored):
        return []
    case (.filter(let screen), _):
        if outcome == .cancelled {
            state.filters[screen] = nil
            state.valueMatches = nil
        } else {
            state.filters[screen] = field.text.isEmpty ? nil : field.text
        }
        if outcome != .edited { state.textField = nil }
        state.selection[screen] = 0
        // Rows hold the start of each value: the store looks through whole ones.
        let words = ListFilter(field.text).text
        guard outcome == .edited, screen != .log, words.count >= 2, state.valueMatches?.text != words else { return [] }
        return [.searchValues(words)]
    case (_, .cancelled):
        state.textField = nil
        return []
    case (_, .edited):
        return []
    case (.newEntry, .submitted):
        let parts = field.text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, Validation.isValidName(parts[0]), (try? Validation.key(parts[1])) != nil else {
            state.message = "type context/key: a context of a–z 0–9 . _ - and a key"
            return []
        }
        state.textField = nil
        return [.edit(.create, EntryRef(context: parts[0], key: parts[1]), initial: "{\n  \n}")]
    case (.snapshotFolder, .submitted):
        state.textField = nil
        let folder = field.text.trimmingCharacters(in: .whitespaces)
        guard !folder.isEmpty else { return [] }
        state.backup = BackupStatus(source: folder)
        state.message = "backing up \(folder)…"
        return [.snapshot(folder)]
    case (.search, .submitted):
        state.textField = nil
        guard case .value(var view)? = state.modal, !field.text.isEmpty else { return [] }
        view.foundLine = nil
        if !view.find(field.text, size: state.size) { state.message = "'\(field.text)' is not in this value" }
        state.modal = .value(view)
        return []
    }
}

private func run(_ command: Command, _ state: inout AppState) -> [Effect] {
    let page = max(1, state.size.height - 6)
    switch command {
    case .up: move(&state, by: -1)
    case .down: move(&state, by: 1)
    case .pageUp: move(&state, by: -page)
    case .pageDown: move(&state, by: page)
    case .top: move(&state, by: -Int.max / 2)
    case .bottom: move(&state, by: Int.max / 2)
    case .otherPane:
        if state.screen == .entries { state.focus = state.focus == .entries ? .contexts : .entries }
    case .nextPane:
        if state.screen == .entries { state.focus = .entries }
    case .previousPane:
        if state.screen == .entries { state.focus = .contexts }
    case .open:
        if state.screen == .log {
            // A log line (a sync's problem says what to do) is often wider than the screen: read it whole.
            guard state.events.indices.contains(state.selectedIndex) else { return [] }
            let event = state.events[state.selectedIndex]
            state.modal = .value(ValueView(title: "Log · \(event.level)", lines: [ValueView.Line(text: event.message,
                                                                                              tone: event.level == "info" ? .plain : .removed)]))
            return []
        }
        if state.screen == .entries && state.focus == .contexts {
            state.focus = .entries
            return []
        }
        guard let row = state.selectedRow, let snapshot = state.snapshot else { return [] }
        guard let entry = state.selectedDetail else {
            state.message = "reading \(Escaped.entry(row.context, row.key))…"
            return []
        }
        state.modal = .value(ValueView.of(entry, on: state.screen, snapshot))
    case .mark:
        guard let row = state.selectedRow, row.state == .incoming else { return [] }
        let ref = EntryRef(row)
        if state.marked.remove(ref) == nil { state.marked.insert(ref) }
        state.message = "\(state.markedRows.count) marked: A and R act on them"
        move(&state, by: 1)
    case .errorsOnly:
        state.logErrorsOnly.toggle()
        state.selection[.log] = 0
        state.message = state.logErrorsOnly ? "errors and warnings only (e shows every line)" : "every line"

    case .back:
        if !state.filter.isEmpty {
            state.filters[state.screen] = nil
            state.valueMatches = nil
        } else if state.screen == .incoming && !state.marked.isEmpty {
            state.marked = []
            state.message = "marks cleared"
        } else if state.screen != .entries {
            state.screen = .entries
        } else {
            state.focus = .contexts
        }
    case .show(let screen):
        state.screen = screen
    case .filter:
        if state.screen == .entries { state.focus = .entries }
        state.textField = TextField(.filter(state.screen), text: state.filter)
    case .sync:
        guard !state.syncing else {
            state.queuedSync = QueuedSync(prompt: true)
            state.promptWhenWaiting = true
            state.message = "a sync is running; another follows it"
            return []
        }
        state.syncing = true
        state.promptAfterSync = true
        state.promptWhenWaiting = true
        state.message = "syncing…"
        return [.sync]
    case .undo:
        return [.undo]
    case .help:
        state.modal = .value(ValueView.help(for: state))
    case .quit:
        if let waiting = state.snapshot?.counts.waitingToPush, waiting > 0 {
            state.modal = .confirm(.quit, question: "\(waiting) changes of yours are not published yet (s publishes them). Quit anyway? [y/n]")
            return []
        }
        state.quitting = true
        return [.quit]
    case .later:
        state.message = "left for later"
        move(&state, by: 1)
    case .decide(let decision):
        guard let entry = state.selectedRow else { return [] }
        guard decision.appliesTo.contains(entry.state) else {
            state.message = "\(Escaped.entry(entry.context, entry.key)) has no incoming change"
            return []
        }
        return [.decide(decision, [EntryRef(entry)])]
    case .decideAll(let decision):
        let marked = state.markedRows
        let shown = (marked.isEmpty ? state.rows.filter { $0.state == .incoming } : marked).map(ShownChange.init)
        guard !shown.isEmpty else {
            state.message = "nothing to \(decision.rawValue)"
            return []
        }
        let verb = decision == .accept ? "Accept" : "Refuse"
        let what = !marked.isEmpty ? "the \(shown.count) marked changes"
            : state.filter.isEmpty ? "all \(shown.count) incoming changes shown" : "all \(shown.count) incoming changes matching '\(state.filter)'"
        state.modal = .confirm(.decide(decision, shown), question: "\(verb) \(what)? [y/n]")
    case .merge:
        guard state.selectedRow?.state == .conflict, let entry = state.selectedDetail else { return [] }
        let initial = entry.local?.value ?? entry.unseen.first?.value ?? "null"
        // Every version goes into the file, each named by its device, below
        // a line from which the rest is ignored, so all of them can be merged.
        let others = entry.unseen.enumerated().map { index, version in
            let who = state.snapshot.map { $0.name(version.origin) } ?? version.origin.rawValue
            let lines = prettyValue(version.value ?? "null").split(separator: "\n", omittingEmptySubsequences: false)
            return "// version \(index + 1) of \(entry.unseen.count), \(who)" + (version.isDeletion ? " (deleted)" : "") + ":\n"
                + lines.map { "//   " + $0 }.joined(separator: "\n")
        }
        let text = prettyValue(initial) + "\n" + ValueEditor.ignoredFrom + "\n" + others.joined(separator: "\n")
        return [.edit(.merge, EntryRef(context: entry.context, key: entry.key), initial: text)]
    case .newEntry:
        state.textField = TextField(.newEntry, text: state.selectedContext.map { $0 + "/" } ?? "")
    case .newSnapshot:
        guard state.backup?.running != true else {
            state.notice = "a snapshot is running; wait for it to end"
            return []
        }
        state.textField = TextField(.snapshotFolder)
    case .editEntry:
        guard let entry = state.selectedDetail else { return [] }
        return [.edit(.update, EntryRef(context: entry.context, key: entry.key), initial: prettyValue(entry.value ?? "null"))]
    case .deleteEntry:
        guard let entry = state.selectedDetail, entry.value != nil else { return [] }
        state.modal = .confirm(.delete(EntryRef(context: entry.context, key: entry.key)),
                               question: "Delete \(Escaped.entry(entry.context, entry.key)) on this device (published at the next sync)? [y/n]")
    case .nextDevice, .openDevice, .togglePause, .faster, .slower, .toggleOnline, .reinstall:
        return runDemo(command, &state)
    case .promptDecide, .promptLater, .promptDiff, .promptStop, .promptHint, .confirm, .cancel, .close, .search, .nextMatch, .previousMatch,
         .type, .erase, .submit, .cancelText:
        // Keys of the prompt, a question, the value view or a field: reduced where those are.
        break
    case .keepLocal:
        guard state.selectedRow?.state == .conflict, let entry = state.selectedDetail else { return notAConflict(&state) }
        return [.resolve(EntryRef(context: entry.context, key: entry.key), .keepLocal)]
    case .takeRemote:
        guard state.selectedRow?.state == .conflict, let entry = state.selectedDetail, !entry.unseen.isEmpty else { return notAConflict(&state) }
        let chosen = entry.unseen[state.conflictVersion % entry.unseen.count]
        return [.resolve(EntryRef(context: entry.context, key: entry.key), .takeVersion(chosen.vector))]
    case .nextVersion, .previousVersion:
        guard state.selectedRow?.state == .conflict, let entry = state.selectedDetail, entry.unseen.count > 1 else {
            state.message = "this conflict has one other version"
            return []
        }
        let count = entry.unseen.count
        state.conflictVersion = ((state.conflictVersion % count) + (command == .nextVersion ? 1 : count - 1)) % count
        let chosen = entry.unseen[state.conflictVersion]
        state.message = "t takes version \(state.conflictVersion + 1) of \(count)"
            + (state.snapshot.map { ", \($0.name(chosen.origin))'s" } ?? "")
    }
    return []
}

/// A conflict key on a row that is not (or no longer) a conflict says so
/// instead of doing nothing.
private func notAConflict(_ state: inout AppState) -> [Effect] {
    state.message = state.selectedRow.map { "\(Escaped.entry($0.context, $0.key)) is not in conflict" } ?? "no conflict selected"
    return []
}

/// The demo's controls: which device the UI shows, and what the simulated
/// devices do.
private func runDemo(_ command: Command, _ state: inout AppState) -> [Effect] {
    guard let snapshot = state.snapshot, let demo = snapshot.demo else { return [] }
    let selected = state.screen == .devices ? snapshot.devices[safe: state.selectedIndex]?.name : nil
    switch command {
    case .nextDevice:
        let names = demo.devices.map(\.name)
        let next = names[((names.firstIndex(of: snapshot.device) ?? -1) + 1) % names.count]
        return [.switchDevice(next)]
    case .openDevice:
        guard let selected, selected != snapshot.device else { return [] }
        return [.switchDevice(selected)]
    case .togglePause:
        state.message = demo.paused ? "the devices go on" : "the devices pause"
        return [.demo(.pause(!demo.paused))]
    case .faster, .slower:
        return [.demo(.speed(by: command == .faster ? 2 : 0.5))]
    case .toggleOnline:
        guard let selected, demo.device(selected) != nil else { return [] }
        return [.demo(.toggleOnline(selected))]
    case .reinstall:
        guard let selected else { return [] }
        state.modal = .confirm(.reinstall(selected),
                               question: "Reinstall \(selected): wipe its store and restore everything from the vault? [y/n]")
        return []
    default:
        return []
    }
}

func prettyValue(_ text: String) -> String {
    (try? JSONParser.parse(text))?.prettyText() ?? text
}

private func move(_ state: inout AppState, by delta: Int) {
    if state.screen == .entries && state.focus == .contexts {
        state.contextIndex = max(0, min(state.contextNames.count - 1, state.contextIndex + delta))
        state.selection[.entries] = 0
        return
    }
    let count = state.rowCount
    guard count > 0 else { return }
    state.selection[state.screen] = max(0, min(count - 1, state.selectedIndex + delta))
    state.conflictVersion = 0
}
