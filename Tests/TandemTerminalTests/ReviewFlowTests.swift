import Foundation
import Testing
import TandemCore
import TandemSimulation
@testable import TandemTerminal

/// A snapshot with one entry in each state, built from versions by hand.
func sampleSnapshot() -> Snapshot {
    sample().snapshot
}

/// Runs the reducer as the app does, answering its reads of entry versions
/// from the sample's statuses.
func step(_ state: inout AppState, _ action: Action) -> [Effect] {
    let statuses = sample().statuses
    var effects = reduce(&state, action)
    while let index = effects.firstIndex(where: { if case .loadDetail = $0 { true } else { false } }) {
        guard case .loadDetail(let ref) = effects.remove(at: index) else { continue }
        effects += reduce(&state, .detailLoaded(LoadedDetail(ref: ref, status: statuses[ref])))
    }
    return effects
}

func sample() -> (snapshot: Snapshot, statuses: [EntryRef: EntryStatus]) {
    let me = DeviceID(validating: "00000000000000a1")!
    let phone = DeviceID(validating: "00000000000000b2")!
    func version(_ value: String?, _ vector: VersionVector, _ origin: DeviceID, _ wall: Int64) -> EntryVersion {
        EntryVersion(value: value, vector: vector, timestamp: HLCTimestamp(wallMillis: wall), origin: origin)
    }
    let now: Int64 = 1_800_000_000_000
    func entry(_ key: String, local: EntryVersion?, vault: [EntryVersion], refused: VersionVector? = nil) -> EntryStatus {
        let views = EntryViews(local: local, frontier: Frontier(vault), refused: refused)
        return EntryStatus(context: "friends", key: key, views: views, state: views.state!)
    }
    let base = version(#"{"age":30}"#, [me: 1], me, now - 60_000)
    let entries = [
        entry("alice", local: base, vault: [base]),
        entry("bob", local: base, vault: [version(#"{"age":31}"#, [me: 1, phone: 1], phone, now - 120_000)]),
        entry("carol", local: nil, vault: [version(#"{"name":"Carol"}"#, [phone: 2], phone, now - 30_000)]),
        entry("dave", local: version(#"{"x":1}"#, [me: 2], me, now - 5_000), vault: [version(#"{"x":2}"#, [phone: 3], phone, now - 4_000)]),
        entry("erin", local: version("1", [me: 3], me, now), vault: []),
    ]
    var counts = StateCounts()
    counts.inSync = 1
    counts.incoming = 2
    counts.conflicts = 1
    counts.outgoing = 1
    counts.waitingToPush = 1
    let snapshot = Snapshot(device: "laptop", deviceID: me, vaultPath: "/vault", online: true, lastSyncMillis: now - 12_000, counts: counts,
                            contexts: [ContextSummary(name: "friends", policy: .review, entries: 5, states: [:])], rows: entries.map(EntryRow.init),
                            names: [me: "laptop", phone: "phone"], devices: [], events: [], nowMillis: now)
    return (snapshot, Dictionary(uniqueKeysWithValues: entries.map { (EntryRef(context: $0.context, key: $0.key), $0) }))
}

@Suite struct ReviewFlowTests {
    func state(on screen: Screen) -> AppState {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .key(.character(Character(String(screen.rawValue)))))
        return state
    }

    @Test func acceptRefuseAndKeepMineAskForOneDecisionEach() {
        var state = state(on: .incoming)
        #expect(state.rows.map(\.key) == ["bob", "carol"])
        #expect(step(&state, .key(.character("a"))) == [.decide(.accept, [EntryRef(context: "friends", key: "bob")])])
        #expect(step(&state, .key(.character("j"))).isEmpty)
        #expect(step(&state, .key(.character("r"))) == [.decide(.refuse, [EntryRef(context: "friends", key: "carol")])])
        #expect(step(&state, .key(.character("o"))) == [.decide(.keepMine, [EntryRef(context: "friends", key: "carol")])])
    }

    @Test func uAsksToTakeBackTheLastDecision() {
        var state = state(on: .incoming)
        #expect(step(&state, .key(.character("u"))) == [.undo])
        #expect(KeyMap.bar(for: .incoming).contains { $0.label == "u" })
    }

    @Test func laterMovesOnWithoutDeciding() {
        var state = state(on: .incoming)
        #expect(step(&state, .key(.character("l"))).isEmpty)
        #expect(state.selectedRow?.key == "carol")
        #expect(state.message == "left for later")
    }

    @Test func acceptAllAsksFirstAndOnlyYConfirms() {
        var state = state(on: .incoming)
        #expect(step(&state, .key(.character("A"))).isEmpty)
        guard case .confirm(_, let question)? = state.modal else { Issue.record("no confirmation"); return }
        #expect(question.contains("Accept all 2"))
        #expect(step(&state, .key(.enter)).isEmpty, "Enter is not a yes")
        #expect(state.modal == nil)
        _ = step(&state, .key(.character("A")))
        // The confirmed changes are the versions shown: who wrote each, and when.
        let phone = DeviceID(validating: "00000000000000b2")!
        let now: Int64 = 1_800_000_000_000
        let shown = state.rows.filter { $0.state == .incoming }.map(ShownChange.init)
        #expect(shown.map(\.ref.key) == ["bob", "carol"])
        #expect(shown.map(\.version) == [ShownVersion(origin: phone, wallMillis: now - 120_000), ShownVersion(origin: phone, wallMillis: now - 30_000)])
        #expect(step(&state, .key(.character("y"))) == [.decideShown(.accept, shown)])
    }

    @Test func conflictKeysResolveWithTheNamedSide() {
        var state = state(on: .conflicts)
        #expect(state.rows.map(\.key) == ["dave"])
        #expect(step(&state, .key(.character("m"))) == [.resolve(EntryRef(context: "friends", key: "dave"), .keepLocal)])
        let phone = DeviceID(validating: "00000000000000b2")!
        #expect(step(&state, .key(.character("t"))) == [.resolve(EntryRef(context: "friends", key: "dave"), .takeVersion([phone: 3]))])
        #expect(step(&state, .key(.character("]"))).isEmpty)
        #expect(state.message == "this conflict has one other version")
    }

    @Test func decisionKeysDoNothingWhereNothingWaits() {
        var state = state(on: .entries)
        #expect(step(&state, .key(.character("a"))).isEmpty)
        #expect(state.message.contains("no incoming change"))
    }

    @Test func filterNarrowsTheEntries() {
        var state = state(on: .entries)
        for key in [Key.character("/"), .character("c"), .character("a"), .character("r"), .enter] { _ = step(&state, .key(key)) }
        #expect(state.rows.map(\.key) == ["carol"])
        _ = step(&state, .key(.escape))
        #expect(state.rows.count == 5)
    }
}

@Suite struct ViewTests {
    func render(_ screen: Screen, width: Int = 120, height: Int = 30, theme: Theme = .dark) -> Grid {
        var state = AppState()
        state.size = TerminalSize(width, height)
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .key(.character(Character(String(screen.rawValue)))))
        return AppView(theme: theme).render(state)
    }

    @Test func relativeTimesMoveWithTheClockWithoutAReload() {
        var state = AppState()
        state.size = TerminalSize(120, 30)
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .key(.character("2")))
        #expect(AppView(theme: .dark).render(state).text.contains("synced 12s ago"))
        _ = step(&state, .tick(nowMillis: sampleSnapshot().nowMillis + 30_000))
        let text = AppView(theme: .dark).render(state).text
        #expect(text.contains("synced 42s ago"), "\(text)")
        #expect(text.contains("2 min ago") || text.contains("3 min ago"), "row times move too: \(text)")
    }

    @Test(arguments: [(120, 40), (80, 24), (60, 20)])
    func everyTabShowsAtEverySize(width: Int, height: Int) {
        let tabs = render(.entries, width: width, height: height).lines[1]
        for screen in Screen.allCases {
            #expect(tabs.contains(" \(screen.rawValue) \(screen.title.prefix(1))"), "tab \(screen.rawValue) at \(width)×\(height): \(tabs)")
        }
        #expect(!tabs.contains("…"), "no tab is cut: \(tabs)")
        if width >= 120 { #expect(tabs.contains("2 Incoming (2)")) }
    }

    @Test(arguments: [(80, 24), (60, 20)])
    func narrowIncomingListsKeepTheWholeKey(width: Int, height: Int) {
        let lines = render(.incoming, width: width, height: height).lines
        // Narrow, the list takes the whole width (the diff goes under it).
        #expect(lines.contains { $0.contains("↓ edit     friends/bob phone · 2 min ago") }, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("↓ insert   friends/carol phone · 30s ago") }, "\(lines.joined(separator: "\n"))")
    }

    @Test func headerAlwaysCountsWhatWaits() {
        let grid = render(.entries)
        #expect(grid.lines[0].contains("tandem · laptop · /vault · online · synced 12s ago"), "\(grid.text)")
        #expect(grid.lines[0].hasSuffix("✓ 1  ↑ 1  ↓ 2  ⚠ 1  ⊘ 0"), "\(grid.text)")
        #expect(grid.lines[1].contains("2 Incoming (2)"))
    }

    @Test func entriesThatNeedANewerAppAreCountedInTheHeader() {
        var snapshot = sampleSnapshot()
        snapshot.counts.needsNewerApp = 2
        var state = AppState()
        state.size = TerminalSize(120, 30)
        _ = step(&state, .loaded(snapshot))
        #expect(AppView().render(state).lines[0].hasSuffix("⊘ 0  ⇡ 2"), "\(AppView().render(state).lines[0])")
    }

    @Test func entriesShowEveryStateMark() {
        let text = render(.entries).text
        for mark in ["✓ friends/alice", "↓ friends/bob", "↓ friends/carol", "⚠ friends/dave", "↑ friends/erin"] {
            #expect(text.contains(mark), "\(text)")
        }
    }

    @Test func incomingShowsTheDeviceTheDiffAndWhatEachKeyDoes() {
        let grid = render(.incoming)
        let text = grid.text
        #expect(text.contains("Remote edit from phone · friends/bob · 2 min ago"), "\(text)")
        #expect(text.contains(#"-   "age": 30"#), "\(text)")
        #expect(text.contains(#"+   "age": 31"#), "\(text)")
        #expect(text.contains("a  takes phone's version here"))
        #expect(grid.lines.last?.contains("a accept") == true)
        #expect(grid.lines.last?.hasSuffix("? help  q quit") == true)
    }

    @Test func conflictsAreLabelledByWhoseTheyAre() {
        let text = render(.conflicts).text
        #expect(text.contains("laptop — this device, 5s ago"), "\(text)")
        #expect(text.contains("phone, 4s ago"), "\(text)")
        #expect(text.contains("m keeps laptop's value everywhere"), "\(text)")
        #expect(text.contains("t takes phone's, 4s ago · e merges all in $EDITOR"), "\(text)")
    }

    @Test func everyOtherVersionOfAConflictIsShownWithWhoseItIs() {
        let me = DeviceID(validating: "00000000000000a1")!
        let phone = DeviceID(validating: "00000000000000b2")!
        let tablet = DeviceID(validating: "00000000000000c3")!
        let now: Int64 = 1_800_000_000_000
        func version(_ value: String, _ vector: VersionVector, _ origin: DeviceID, _ ago: Int64) -> EntryVersion {
            EntryVersion(value: value, vector: vector, timestamp: HLCTimestamp(wallMillis: now - ago), origin: origin)
        }
        let views = EntryViews(local: version(#"{"x":1}"#, [me: 2], me, 5_000),
                               frontier: Frontier([version(#"{"x":2}"#, [phone: 3], phone, 4_000), version(#"{"x":3}"#, [tablet: 1], tablet, 61_000)]))
        let status = EntryStatus(context: "friends", key: "dave", views: views, state: views.state!)
        var snapshot = sampleSnapshot()
        snapshot.names[tablet] = "tablet"
        var state = AppState()
        state.size = TerminalSize(120, 30)
        _ = reduce(&state, .loaded(snapshot))
        _ = reduce(&state, .key(.character("3")))
        _ = reduce(&state, .detailLoaded(LoadedDetail(ref: EntryRef(context: "friends", key: "dave"), status: status)))
        let text = AppView().render(state).text
        #expect(text.contains("laptop — this device, 5s ago"), "\(text)")
        #expect(text.contains("phone, 4s ago"), "\(text)")
        #expect(text.contains("tablet, 1 min ago"), "\(text)")
        #expect(text.contains(#""x": 3"#), "\(text)")
    }

    @Test func anEmptyVaultSaysSo() {
        var snapshot = sampleSnapshot()
        snapshot.rows = []
        snapshot.contexts = []
        snapshot.counts = StateCounts()
        var state = AppState()
        state.size = TerminalSize(120, 30)
        _ = step(&state, .loaded(snapshot))
        let entries = AppView().render(state).text
        #expect(entries.contains("Entries (0)") && entries.contains("no entries"), "\(entries)")
        _ = step(&state, .key(.character("2")))
        #expect(AppView().render(state).text.contains("nothing waits for a decision"))
        _ = step(&state, .key(.character("3")))
        #expect(AppView().render(state).text.contains("no conflicts"))
    }

    @Test func aNarrowTerminalSaysItIsTooSmall() {
        let grid = render(.entries, width: 50, height: 12)
        #expect(grid.lines[0] == "terminal too small")
        let smallest = render(.entries, width: 60, height: 15)
        #expect(smallest.lines.last?.hasSuffix("? help  q quit") == true, "\(smallest.text)")
    }

    @Test func monochromeUsesNoColour() {
        let grid = render(.incoming, theme: .monochrome)
        #expect(grid.cells.allSatisfy { $0.style.foreground == .terminalDefault && $0.style.background == .terminalDefault })
    }

    /// The help view at `size`, paged through to its end: every row it shows.
    func helpText(_ state: AppState, size: TerminalSize) -> String {
        var state = state
        state.size = size
        _ = step(&state, .key(.character("?")))
        var text = AppView().render(state).text
        for _ in 0..<20 {
            _ = step(&state, .key(.pageDown))
            text += AppView().render(state).text
        }
        return text
    }

    @Test(arguments: [(120, 40), (80, 24), (60, 20)])
    func theHelpListsEveryBindingOfEveryModeInOneScrolledColumn(width: Int, height: Int) {
        var state = AppState()
        _ = step(&state, .key(.character("2")))
        _ = step(&state, .loaded(sampleSnapshot()))
        let text = helpText(state, size: TerminalSize(width, height))
        for binding in KeyMap.bindings where !binding.demoOnly {
            #expect(text.contains(binding.description), "\(binding.description) at \(width)×\(height)")
        }
        #expect(text.contains("On this screen (Incoming)") && text.contains("In the review prompt") && text.contains("While typing"))
        #expect(!text.contains("reinstall"), "the demo's keys only in the demo")
        _ = step(&state, .key(.character("?")))
        _ = step(&state, .key(.escape))
        #expect(state.modal == nil, "Esc closes the help")
    }

    @Test func inTheDemoTheHelpAndTheBarListItsKeysToo() {
        var state = AppState()
        var snapshot = sampleSnapshot()
        snapshot.demo = DemoStatus(paused: false, speed: 1, steps: 0, devices: [])
        snapshot.devices = [DeviceRecord(id: snapshot.deviceID, name: "laptop", created: "2026-01-01")]
        _ = step(&state, .loaded(snapshot))
        _ = step(&state, .key(.character("5")))
        state.size = TerminalSize(120, 40)
        let bar = AppView().render(state).lines.last ?? ""
        #expect(bar.contains("I reinstall it"), "\(bar)")
        #expect(bar.contains("o offline/online"), "\(bar)")
        let text = helpText(state, size: TerminalSize(120, 40))
        for binding in KeyMap.bindings { #expect(text.contains(binding.description), "\(binding.description)\n\(text)") }
    }
}

@Suite struct EditingFlowTests {
    func loaded(_ screen: Screen) -> AppState {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .key(.character(Character(String(screen.rawValue)))))
        return state
    }

    @Test func newEntryAsksForItsNameThenOpensTheEditor() {
        var state = loaded(.entries)
        _ = step(&state, .key(.character("n")))
        #expect(state.textField == TextField(.newEntry))
        for character in "friends/zoe" { _ = step(&state, .key(.character(character))) }
        let effects = step(&state, .key(.enter))
        #expect(effects == [.edit(.create, EntryRef(context: "friends", key: "zoe"), initial: "{\n  \n}")])
        #expect(state.textField == nil)
    }

    @Test func aBadNewEntryNameIsExplainedAndKept() {
        var state = loaded(.entries)
        _ = step(&state, .key(.character("n")))
        for character in "Bad Name" { _ = step(&state, .key(.character(character))) }
        #expect(step(&state, .key(.enter)).isEmpty)
        #expect(state.message.contains("context/key"))
        #expect(state.textField == TextField(.newEntry, text: "Bad Name"))
    }

    @Test func deleteAsksFirst() {
        var state = loaded(.entries)
        #expect(step(&state, .key(.character("x"))).isEmpty)
        #expect(step(&state, .key(.character("y"))) == [.delete(EntryRef(context: "friends", key: "alice"))])
    }

    @Test func mergeOpensTheEditorOnThisDevicesValueWithTheOtherVersionsBelow() {
        var state = loaded(.conflicts)
        let file = "{\n  \"x\": 1\n}\n" + ValueEditor.ignoredFrom + "\n// version 1 of 1, phone:\n//   {\n//     \"x\": 2\n//   }"
        #expect(step(&state, .key(.character("e"))) == [.edit(.merge, EntryRef(context: "friends", key: "dave"), initial: file)])
        #expect(ValueEditor.value(ofMergeFile: file) == "{\n  \"x\": 1\n}\n")
    }
}

@Suite struct PromptModeTests {
    func afterSync() -> AppState {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: true))
        return state
    }

    @Test func aSyncThatBringsChangesOpensThePrompt() {
        let state = afterSync()
        #expect(state.modal == .prompt(skipped: []))
        let text = AppView().render(state).text
        #expect(text.contains("1 of 2 · Remote edit from phone · friends/bob · 2 min ago"), "\(text)")
        #expect(text.contains("[a]ccept [r]efuse [o] keep mine [l]ater [d]iff whole [q] stop"))
        #expect(text.contains("┌") && text.contains("┘"), "a frame: \(text)")
    }

    @Test func keysDecideTheShownChangeAndLaterMovesOn() {
        let bob = EntryRef(context: "friends", key: "bob"), carol = EntryRef(context: "friends", key: "carol")
        var state = afterSync()
        #expect(step(&state, .key(.character("a"))) == [.decide(.accept, [bob])])
        #expect(state.modal == .prompt(skipped: [bob]), "the next change shows at once: a quick key cannot decide bob twice")
        #expect(step(&state, .key(.character("l"))).isEmpty)
        #expect(state.modal == nil, "carol left for later: nothing left to show")
        var other = afterSync()
        _ = step(&other, .key(.character("l")))
        #expect(other.promptEntry(skipping: [bob])?.key == "carol")
        #expect(step(&other, .key(.character("r"))) == [.decide(.refuse, [carol])])
        #expect(other.modal == nil)
    }

    @Test func diffShowsTheWholeDiffInsideThePromptAndQStops() {
        var state = afterSync()
        _ = step(&state, .key(.character("d")))
        #expect(state.modal == .prompt(skipped: []), "d stays in the prompt")
        #expect(state.promptExpanded && state.message == "the whole diff (d shows its start)")
        #expect(AppView().render(state).text.contains("[d]iff start"))
        _ = step(&state, .key(.character("l")))
        #expect(state.message == "left friends/bob for later")
        #expect(AppView().render(state).text.contains("2 of 2 · Remote insert from phone · friends/carol"))
        _ = step(&state, .key(.character("z")))
        #expect(state.message.contains("a accepts"), "a key that does nothing here says what does")
        var other = afterSync()
        _ = step(&other, .key(.character("q")))
        #expect(other.modal == nil)
    }

    @Test func aSyncTheWatcherStartedSaysWhatCameButLeavesTheKeysAlone() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        #expect(step(&state, .vaultChanged) == [.syncHoldingBack], "a sync nobody asked for leaves what was just decided alone")
        _ = step(&state, .synced(device: "laptop", message: "synced: pulled 2", broughtIncoming: true))
        #expect(state.modal == nil)
        #expect(state.message == "synced: pulled 2 — 2 reviews them")
        #expect(step(&state, .key(.character("s"))) == [.sync])
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: true))
        #expect(state.modal == .prompt(skipped: []), "a sync the person asked for steps through what it brought")
    }

    @Test func aSyncAskedForWhileOneRunsFollowsIt() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        #expect(step(&state, .vaultChanged) == [.syncHoldingBack])
        #expect(step(&state, .key(.character("s"))).isEmpty, "one sync at a time")
        #expect(step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false)) == [.reload, .sync],
                "the write made meanwhile is published by the sync that follows")
        #expect(state.syncing)
        #expect(step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false)) == [.reload])
    }

    @Test func aChangeMadeHereIsPublishedWhenItsGraceEndsAndTheHeaderCountsDown() {
        var state = AppState()
        state.size = TerminalSize(120, 30)
        var snapshot = sampleSnapshot()
        snapshot.newestQueuedMillis = snapshot.nowMillis - 3_000
        _ = step(&state, .loaded(snapshot))
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        #expect(AppView(theme: .dark).render(state).text.contains("1 publish in 7 s (s now · u undo)"))
        #expect(step(&state, .tick(nowMillis: snapshot.nowMillis + 1_000)).isEmpty)
        #expect(AppView(theme: .dark).render(state).text.contains("1 publish in 6 s"))
        #expect(step(&state, .tick(nowMillis: snapshot.nowMillis + 7_000)) == [.syncHoldingBack], "the grace ended")
        #expect(step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false)) == [.reload])
        #expect(step(&state, .tick(nowMillis: snapshot.nowMillis + 8_000)).isEmpty, "handed to a sync once")
    }

    @Test func answersAboutTheDeviceShownBeforeASwitchAreDropped() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        #expect(step(&state, .switchedDevice("phone")) == [.reload, .sync])
        #expect(step(&state, .loaded(sampleSnapshot())).isEmpty, "laptop's snapshot, read before the switch")
        #expect(state.snapshot == nil)
        _ = step(&state, .synced(device: "laptop", message: "synced laptop", broughtIncoming: true))
        #expect(state.syncing, "phone's sync is still under way")
        #expect(state.modal == nil && state.message == "viewing phone")
    }

    @Test func aChangeBroughtBeforeAQueuedSyncIsStillOffered() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        _ = step(&state, .key(.character("s")))
        _ = step(&state, .vaultChanged)
        #expect(step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: true)) == [.reload, .sync])
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        #expect(state.modal == .prompt(skipped: []))
    }

    @Test func aFailedSyncEndsTheSyncingAndSaysWhy() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .key(.character("s")))
        _ = step(&state, .vaultChanged)
        _ = step(&state, .syncFailed(device: "laptop", message: "vault.json is garbage"))
        #expect(!state.syncing && state.queuedSync == nil)
        #expect(state.message == "error: vault.json is garbage")
        _ = step(&state, .detailLoaded(LoadedDetail(ref: EntryRef(context: "friends", key: "alice"), status: nil, error: "store is busy")))
        #expect(state.message == "error: store is busy")
    }

    @Test func sOpensThePromptWheneverChangesWaitEvenIfTheWatcherBroughtThem() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        #expect(state.modal == nil, "the first sync brought nothing")
        #expect(step(&state, .key(.character("s"))) == [.sync])
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        #expect(state.modal == .prompt(skipped: []), "two changes wait: s steps through them")
    }

    @Test func aSyncWithNothingNewDoesNotPrompt() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .synced(device: "laptop", message: "synced", broughtIncoming: false))
        #expect(state.modal == nil)
    }
}

@Suite struct QuitTests {
    @Test func quittingWithUnpublishedChangesAsksFirst() {
        var state = AppState()
        _ = step(&state, .loaded(sampleSnapshot()))
        #expect(step(&state, .key(.character("q"))).isEmpty)
        guard case .confirm(.quit, let question)? = state.modal else { Issue.record("no question"); return }
        #expect(question.contains("1 changes of yours are not published yet"))
        _ = step(&state, .key(.character("n")))
        #expect(!state.quitting)
        _ = step(&state, .key(.character("q")))
        #expect(step(&state, .key(.character("y"))) == [.quit])
        #expect(state.quitting)
    }

    @Test func quittingWithNothingWaitingIsImmediate() {
        var state = AppState()
        var snapshot = sampleSnapshot()
        snapshot.counts.waitingToPush = 0
        _ = step(&state, .loaded(snapshot))
        #expect(step(&state, .key(.character("q"))) == [.quit])
    }
}

@Suite struct LargeListTests {
    func bigSnapshot(_ count: Int) -> Snapshot {
        var snapshot = sampleSnapshot()
        snapshot.rows = (0..<count).map { EntryRow(context: "messages", key: String(format: "m-%06d", $0), state: .inSync, preview: #"{"n":\#($0)}"#) }
        snapshot.contexts = [ContextSummary(name: "messages", policy: .review, entries: count, states: ["in-sync": count])]
        return snapshot
    }

    @Test func theVersionsOfTheEntryOnScreenAreAskedForOnceEachTimeItChanges() {
        var state = AppState()
        let first = reduce(&state, .loaded(bigSnapshot(100_000)))
        #expect(first == [.loadDetail(EntryRef(context: "messages", key: "m-000000"))])
        #expect(reduce(&state, .key(.character("?"))).isEmpty, "the same entry is not asked for twice")
        _ = reduce(&state, .key(.escape))
        #expect(reduce(&state, .key(.character("G"))) == [.loadDetail(EntryRef(context: "messages", key: "m-099999"))])
        _ = reduce(&state, .detailLoaded(LoadedDetail(ref: EntryRef(context: "messages", key: "m-099999"), status: nil)))
        #expect(reduce(&state, .key(.character("G"))).isEmpty, "an entry that is gone is not asked for again and again")
        #expect(reduce(&state, .loaded(bigSnapshot(100_000))) == [.loadDetail(EntryRef(context: "messages", key: "m-099999"))],
                "a new snapshot may change the versions: they are read again")
    }

    @Test func scrollingToTheEndDrawsTheLastRowsOnly() {
        var state = AppState()
        state.size = TerminalSize(120, 30)
        _ = reduce(&state, .loaded(bigSnapshot(100_000)))
        _ = reduce(&state, .key(.character("G")))
        _ = reduce(&state, .key(.pageUp))
        let text = AppView().render(state).text
        #expect(text.contains("Entries (100000)"), "\(text)")
        #expect(text.contains("messages/m-099975"), "\(text)")
        #expect(!text.contains("messages/m-000000"), "\(text)")
        #expect(state.selectedRow?.key == "m-099975")
    }

    @Test func theFilterAndTheContextNarrowTheRowsAndTheCountFollows() {
        var state = AppState()
        _ = reduce(&state, .loaded(bigSnapshot(20_000)))
        for key in [Key.character("/"), .character("1"), .character("9"), .character("9"), .character("9"), .character("9"), .enter] {
            _ = reduce(&state, .key(key))
        }
        #expect(state.rows.map(\.key) == ["m-019999"])
        _ = reduce(&state, .key(.escape))
        #expect(state.rows.count == 20_000)
    }
}
