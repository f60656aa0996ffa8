import TandemCore

/// Draws the whole state into a grid: header, tabs, the current screen,
/// the message line and the key bar, then any modal on top.
public struct AppView {
    public var theme: Theme

    public init(theme: Theme = .dark) {
        self.theme = theme
    }

    public static let minimumSize = (width: 60, height: 15)

    public func render(_ state: AppState) -> Grid {
        var grid = Grid(width: state.size.width, height: state.size.height)
        guard state.size.width >= Self.minimumSize.width, state.size.height >= Self.minimumSize.height else {
            grid.put("terminal too small", x: 0, y: 0)
            grid.put("need \(Self.minimumSize.width)×\(Self.minimumSize.height), have \(state.size.width)×\(state.size.height)", x: 0, y: 1)
            return grid
        }
        drawHeader(&grid, state)
        drawTabs(&grid, state)
        let body = Rect(x: 0, y: 2, width: grid.width, height: grid.height - 4)
        switch state.screen {
        case .entries: EntriesScreen(theme: theme).draw(&grid, body, state)
        case .incoming: IncomingScreen(theme: theme).draw(&grid, body, state)
        case .conflicts: ConflictsScreen(theme: theme).draw(&grid, body, state)
        case .outgoing: ListScreen(theme: theme, empty: "nothing waits to be pushed").draw(&grid, body, state)
        case .devices: DevicesScreen(theme: theme).draw(&grid, body, state)
        case .log: LogScreen(theme: theme).draw(&grid, body, state)
        case .snapshots: SnapshotsScreen(theme: theme).draw(&grid, body, state)
        }
        switch state.modal {
        case .value(let view)?: ValueViewOverlay(theme: theme).draw(&grid, view)
        case .confirm(_, let question)?: drawConfirm(&grid, question)
        case .prompt(let skipped)?:
            if let row = state.promptEntry(skipping: skipped), let snapshot = state.snapshot {
                PromptOverlay(theme: theme).draw(&grid, row, state.detail(of: EntryRef(row)), snapshot,
                                                 position: state.promptPosition(skipping: skipped), expanded: state.promptExpanded)
            }
        case nil: break
        }
        let line = state.textField.map { $0.label + $0.text + "▏" } ?? state.notice ?? state.message
        grid.put(line, x: 1, y: grid.height - 2, maxWidth: grid.width - 2, style: state.textField == nil ? theme.dim : .plain)
        drawBar(&grid, state)
        return grid
    }

    /// Seconds until the newest unpublished change is published by a sync
    /// the person did not ask for; nil when none is waiting for its grace.
    static func graceLeft(_ snapshot: Snapshot) -> Int64? {
        guard snapshot.counts.waitingToPush > 0, snapshot.online, let newest = snapshot.newestQueuedMillis else { return nil }
        let left = newest + AppState.publishGraceMillis - snapshot.nowMillis
        return left > 0 ? (left + 999) / 1000 : nil
    }

    private func drawHeader(_ grid: inout Grid, _ state: AppState) {
        grid.fill(Rect(x: 0, y: 0, width: grid.width, height: 1), style: theme.header)
        guard let snapshot = state.snapshot else {
            grid.put(" tandem · loading…", x: 0, y: 0, style: theme.header)
            return
        }
        let counts = snapshot.counts
        let synced = snapshot.lastSyncMillis.map { "synced " + snapshot.age($0) } ?? "never synced"
        let newer = counts.needsNewerApp > 0 ? "  ⇡ \(counts.needsNewerApp)" : ""
        let right = " ✓ \(counts.inSync)  ↑ \(counts.waitingToPush)  ↓ \(counts.incoming)  ⚠ \(counts.conflicts)  ⊘ \(counts.refused)\(newer) "
        let rightWidth = CellWidth.of(right)
        let online = snapshot.online ? "online" : "OFFLINE"
        let sync = state.syncing ? state.syncProgress.map { "syncing " + $0.summary } ?? "syncing…" : synced
        let syncingShort = state.syncProgress.map { progress in progress.fraction.map { "syncing \(Int($0 * 100))%" } ?? "syncing…" } ?? "syncing…"
        let demo = snapshot.demo.map { $0.paused ? " · demo paused" : String(format: " · demo ×%g", $0.speed) } ?? ""
        // The countdown of what waits to publish matters more than when the
        // last sync was: narrow, the hint goes first, then the sync time.
        let grace = AppView.graceLeft(snapshot).map { left in
            (full: " · \(counts.waitingToPush) publish in \(left) s (s now · u undo)", short: " · \(counts.waitingToPush) publish in \(left) s")
        }
        let width = grid.width - rightWidth - 1
        let named = " tandem · \(snapshot.device) · ", bare = " \(snapshot.device) · "
        // The longest that fits: the product's name gives way before the sync time.
        var candidates = [
            named + "\(online) · \(sync)\(grace?.full ?? "")\(demo)",
            named + "\(online) · \(sync)\(grace?.short ?? "")\(demo)",
            bare + "\(online) · \(sync)\(grace?.short ?? "")\(demo)",
            bare + "\(online)\(state.syncing ? " · " + syncingShort : "")\(grace?.short ?? "")\(demo)",
        ]
        // Narrowest: the countdown alone ("online" goes; "OFFLINE" never does).
        if let grace { candidates.append(bare + (snapshot.online ? "" : "OFFLINE · ") + grace.short.dropFirst(3)) }
        var line = candidates.first { CellWidth.of($0) <= width } ?? candidates[candidates.count - 1]
        // The vault path only where everything else shows whole, shortened from its start.
        if line == candidates[0] {
            let room = width - CellWidth.of(line) - 3
            let path = snapshot.vaultPath.count <= room ? snapshot.vaultPath : room >= 10 ? "…" + snapshot.vaultPath.suffix(room - 1) : nil
            if let path { line = named + path + " · " + line.dropFirst(named.count) }
        }
        grid.put(line, x: 0, y: 0, maxWidth: width, style: theme.header)
        grid.put(right, x: grid.width - rightWidth, y: 0, style: theme.header)
    }

    private func drawTabs(_ grid: inout Grid, _ state: AppState) {
        // Every tab stays visible: names shorten to fit (Entries, Entr, E)
        // before any tab is cut off.
        func labels(_ letters: Int?) -> [String] {
            Screen.allCases.map { screen in
                let name = letters.map { String(screen.title.prefix($0)) } ?? screen.title
                var label = " \(screen.rawValue) \(name)"
                if let counts = state.snapshot?.counts {
                    switch screen {
                    case .incoming: label += letters == 1 ? "\(counts.incoming)" : " (\(counts.incoming))"
                    case .conflicts: label += letters == 1 ? "\(counts.conflicts)" : " (\(counts.conflicts))"
                    case .outgoing: label += letters == 1 ? "\(counts.waitingToPush)" : " (\(counts.waitingToPush))"
                    default: break
                    }
                }
                return label + " "
            }
        }
        let fits = { (labels: [String]) in labels.reduce(1) { $0 + CellWidth.of($1) + 1 } <= grid.width }
        let chosen = [nil, 5, 4, 3, 1].lazy.map(labels).first(where: fits) ?? labels(1)
        var x = 1
        for (screen, label) in zip(Screen.allCases, chosen) {
            x += grid.put(label, x: x, y: 1, style: screen == state.screen ? theme.activeTab : theme.tab) + 1
        }
    }

    private func drawBar(_ grid: inout Grid, _ state: AppState) {
        var x = 1
        let y = grid.height - 1
        // Every mode's keys come from the key map, and only those that do
        // something where the cursor is.
        // On the screens, help and quit always show, at the right end; the rest fill what is left.
        let fixed = state.mode == .screen(state.screen) ? [("?", "help"), ("q", "quit")] : []
        let fixedWidth = fixed.reduce(0) { $0 + CellWidth.of($1.0) + CellWidth.of($1.1) + 3 }
        let shown = KeyMap.bar(for: state).filter { binding in !fixed.contains { $0.0 == binding.label } }
        // Short words when the whole bar does not fit, so that more keys show.
        let full = shown.reduce(1) { $0 + CellWidth.of($1.label) + 1 + CellWidth.of($1.description) + 2 }
        let bindings = shown.map { ($0.label, full < grid.width - fixedWidth ? $0.description : $0.short) }
        var right = grid.width - fixedWidth
        for (key, description) in fixed {
            right += grid.put(key, x: right, y: y, style: theme.barKey)
            right += grid.put(" " + description + "  ", x: right, y: y, style: theme.bar)
        }
        for (key, description) in bindings {
            let width = CellWidth.of(key) + 1 + CellWidth.of(description) + 2
            guard x + width < grid.width - fixedWidth else { break }
            x += grid.put(key, x: x, y: y, style: theme.barKey)
            x += grid.put(" " + description + "  ", x: x, y: y, style: theme.bar)
        }
    }

    private func drawConfirm(_ grid: inout Grid, _ question: String) {
        let width = min(grid.width - 4, CellWidth.of(question) + 4)
        let box = Rect(x: (grid.width - width) / 2, y: grid.height / 2 - 2, width: width, height: 3)
        grid.fill(box, style: theme.selected)
        grid.put(question, x: box.x + 2, y: box.y + 1, maxWidth: width - 4, style: theme.selected)
    }
}
