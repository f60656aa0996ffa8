import Foundation
import Testing
import TandemCore
import TandemSimulation
@testable import TandemTerminal

/// The tools every list has: `/` filters, Space marks, Enter shows the whole
/// value, and the bar lists only keys that do something.
@Suite struct ListToolsTests {
    func state(on screen: Screen, _ snapshot: Snapshot = sampleSnapshot(), size: TerminalSize = TerminalSize(120, 40)) -> AppState {
        var state = AppState()
        state.size = size
        _ = step(&state, .loaded(snapshot))
        _ = step(&state, .key(.character(Character(String(screen.rawValue)))))
        return state
    }

    func type(_ text: String, _ state: inout AppState) -> [Effect] {
        text.flatMap { step(&state, .key(.character($0))) }
    }

    @Test func slashFiltersTheIncomingListByKeyAndByDevice() {
        var state = state(on: .incoming)
        #expect(state.rows.map(\.key) == ["bob", "carol"])
        _ = step(&state, .key(.character("/")))
        _ = type("car", &state)
        #expect(state.rows.map(\.key) == ["carol"], "filtered as it is typed")
        #expect(AppView().render(state).text.contains("Incoming changes (1) matching 'car'"))
        _ = step(&state, .key(.enter))
        #expect(state.textField == nil && state.filter == "car", "Enter keeps the filter")
        _ = step(&state, .key(.escape))
        #expect(state.rows.count == 2, "Esc clears it")

        _ = step(&state, .key(.character("/")))
        _ = type("phone", &state)
        #expect(state.rows.map(\.key) == ["bob", "carol"], "both came from the phone")
        _ = type(" nobody", &state)
        #expect(state.rows.isEmpty && AppView().render(state).text.contains("none match (Esc clears the filter)"))
    }

    @Test func aFilterAsksTheStoreForWholeValuesAndShowsWhatItFinds() {
        var state = state(on: .entries)
        _ = step(&state, .key(.character("/")))
        let effects = type("deep", &state)
        #expect(effects.contains(.searchValues("deep")), "\(effects)")
        #expect(state.rows.isEmpty)
        // An answer to older words is dropped; the one to these is used.
        _ = step(&state, .valueMatches(ValueMatches(text: "dee", names: [EntryRef(context: "friends", key: "bob")])))
        #expect(state.rows.isEmpty)
        _ = step(&state, .valueMatches(ValueMatches(text: "deep", names: [EntryRef(context: "friends", key: "alice")])))
        #expect(state.rows.map(\.key) == ["alice"])
    }

    @Test func theEntriesFilterKeepsOneStateWithIs() {
        var state = state(on: .entries)
        _ = step(&state, .key(.character("/")))
        _ = type("is:conf", &state)
        #expect(state.rows.map(\.key) == ["dave"])
        _ = step(&state, .key(.escape))
        _ = step(&state, .key(.character("/")))
        _ = type("is:incoming c", &state)
        #expect(state.rows.map(\.key) == ["carol"], "every word must match")
        _ = step(&state, .key(.escape))
        _ = step(&state, .key(.character("/")))
        _ = type("is:nonsense", &state)
        #expect(state.rows.isEmpty, "a state that does not exist matches nothing")
    }

    @Test func conflictsAndOutgoingFilterToo() {
        var conflicts = state(on: .conflicts)
        _ = step(&conflicts, .key(.character("/")))
        _ = type("zzz", &conflicts)
        #expect(conflicts.rows.isEmpty)
        var outgoing = state(on: .outgoing)
        _ = step(&outgoing, .key(.character("/")))
        _ = type("erin", &outgoing)
        #expect(outgoing.rows.map(\.key) == ["erin"])
    }

    @Test func spaceMarksAndBulkKeysActOnTheMarkedOnly() {
        var state = state(on: .incoming)
        _ = step(&state, .key(.character(" ")))
        #expect(state.marked == [EntryRef(context: "friends", key: "bob")])
        #expect(state.selectedRow?.key == "carol", "Space moves on, as in mutt")
        let screen = AppView().render(state).text
        #expect(screen.contains("Incoming changes (2) · 1 marked"), "\(screen)")
        _ = step(&state, .key(.character("A")))
        guard case .confirm(.decide(.accept, let shown), let question)? = state.modal else {
            Issue.record("no question")
            return
        }
        #expect(question == "Accept the 1 marked changes? [y/n]")
        #expect(shown.map(\.ref.key) == ["bob"])
        #expect(step(&state, .key(.character("y"))) == [.decideShown(.accept, shown)])
        #expect(state.marked.isEmpty, "what was decided is no longer marked")

        // Space again unmarks; Esc clears every mark.
        var other = self.state(on: .incoming)
        _ = step(&other, .key(.character(" ")))
        _ = step(&other, .key(.up))
        _ = step(&other, .key(.character(" ")))
        #expect(other.marked.isEmpty)
        _ = step(&other, .key(.character(" ")))
        _ = step(&other, .key(.escape))
        #expect(other.marked.isEmpty && other.screen == .incoming)
    }

    @Test func aMarkOnAChangeDecidedElsewhereGoesWithIt() {
        var state = state(on: .incoming)
        _ = step(&state, .key(.character(" ")))
        var later = sampleSnapshot()
        later.rows = later.rows.filter { $0.key != "bob" }
        _ = step(&state, .loaded(later))
        #expect(state.marked.isEmpty)
    }

    @Test func enterShowsTheWholeValueAndEscCloses() {
        var state = state(on: .incoming)
        _ = step(&state, .key(.enter))
        guard case .value(let view)? = state.modal else {
            Issue.record("no value view")
            return
        }
        let text = AppView().render(state).text
        #expect(view.title == "friends/bob · incoming")
        #expect(text.contains("the change from phone") && text.contains("-   \"age\": 30") && text.contains("+   \"age\": 31"), "\(text)")
        #expect(text.contains("this device's value (written by laptop, 1 min ago)") && text.contains("from phone, 2 min ago"), "\(text)")
        #expect(text.contains("this device's value"))
        _ = step(&state, .key(.escape))
        #expect(state.modal == nil)
    }

    @Test func theEntriesPaneWithTheCursorIsMarkedAndEnterOpensTheValue() {
        var state = state(on: .entries)
        #expect(AppView().render(state).text.contains("▸ Entries (5)"))
        _ = step(&state, .key(.tab))
        #expect(state.focus == .contexts)
        let text = AppView().render(state).text
        #expect(text.contains("▸ Contexts") && !text.contains("▸ Entries"))
        _ = step(&state, .key(.enter))
        #expect(state.focus == .entries && state.modal == nil, "Enter on a context goes into its entries")
        _ = step(&state, .key(.enter))
        guard case .value? = state.modal else {
            Issue.record("Enter on an entry shows its value")
            return
        }
    }

    /// A value longer than any screen: wrapped, paged and searched until
    /// every part of it has been on screen.
    @Test(arguments: [(120, 40), (80, 24), (60, 20)])
    func aLongValueCanBeReadWholeAndSearched(width: Int, height: Int) {
        let me = DeviceID(validating: "00000000000000a1")!
        let words = (1...400).map { "word\($0)" }.joined(separator: " ")
        let long = #"{"text":"\#(words)","end":"the very end"}"#
        let version = EntryVersion(value: long, vector: [me: 1], timestamp: HLCTimestamp(wallMillis: 1_800_000_000_000), origin: me)
        let views = EntryViews(local: version, frontier: Frontier([version]), refused: nil)
        let status = EntryStatus(context: "notes", key: "long", views: views, state: views.state!)
        var snapshot = sampleSnapshot()
        snapshot.rows = [EntryRow(status)]
        var state = state(on: .entries, snapshot, size: TerminalSize(width, height))
        _ = reduce(&state, .detailLoaded(LoadedDetail(ref: EntryRef(context: "notes", key: "long"), status: status)))
        _ = reduce(&state, .key(.enter))
        var seen = AppView().render(state).text
        for _ in 0..<200 {
            _ = reduce(&state, .key(.pageDown))
            seen += AppView().render(state).text
        }
        let cells = seen.filter { !$0.isWhitespace && $0 != "│" }
        #expect(cells.contains("word400") && cells.contains("\"theveryend\""), "the end of the value was shown")
        #expect(cells.contains("word1word2"), "its start too")

        _ = reduce(&state, .key(.character("g")))
        _ = reduce(&state, .key(.character("/")))
        for character in "very end" { _ = reduce(&state, .key(.character(character))) }
        _ = reduce(&state, .key(.enter))
        let found = AppView().render(state)
        #expect(found.text.contains("the very end"), "the search scrolled to it")
        #expect(found.text.contains("/very end"), "and the title says what was searched")
        _ = reduce(&state, .key(.character("/")))
        for character in "absent" { _ = reduce(&state, .key(.character(character))) }
        _ = reduce(&state, .key(.enter))
        #expect(state.message == "'absent' is not in this value")
    }

    @Test func theLogNamesDevicesAndCanShowErrorsOnly() {
        var snapshot = sampleSnapshot()
        snapshot.events = [LogEvent(atMillis: snapshot.nowMillis - 1_000, level: "info", message: "take-remote 00000000000000b2:24 friends/bob"),
                           LogEvent(atMillis: snapshot.nowMillis - 2_000, level: "error", message: "sync: the vault is not reachable")]
        var state = state(on: .log, snapshot)
        let text = AppView().render(state).text
        #expect(text.contains("take-remote phone:24 friends/bob") && !text.contains("00000000000000b2"), "\(text)")
        _ = step(&state, .key(.character("e")))
        #expect(state.events.map(\.level) == ["error"])
        #expect(AppView().render(state).text.contains("Log (1) · errors only"))
        _ = step(&state, .key(.character("e")))
        _ = step(&state, .key(.character("/")))
        _ = type("phone", &state)
        #expect(state.events.count == 1 && state.events[0].level == "info", "a filter matches the names the log shows")
    }

    @Test func devicesThatShareANameAreToldApartByAShortID() {
        let laptop = DeviceID(validating: "aaaa000000000001")!
        let old = DeviceID(validating: "bbbb000000000002")!
        let new = DeviceID(validating: "cccc000000000003")!
        let first = DeviceID(validating: "dddd000000000004")!
        let second = DeviceID(validating: "eeee000000000005")!
        var reinstalled = DeviceRecord(id: new, name: "phone", created: "2026-01-02")
        reinstalled.replaces = old
        let records = [DeviceRecord(id: old, name: "phone", created: "2026-01-01"), reinstalled,
                       DeviceRecord(id: first, name: "tablet", created: "2026-01-01"), DeviceRecord(id: second, name: "tablet", created: "2026-01-01"),
                       DeviceRecord(id: DeviceID(validating: "ffff000000000006")!, name: "laptop", created: "2026-01-01")]
        let names = Snapshot.distinctNames(records, this: (laptop, "laptop"))
        #expect(names[laptop] == "laptop")
        #expect(names[new] == "phone", "the live device keeps its name")
        #expect(names[old] == "phone·bbbb", "the installation it replaced gets a short id")
        #expect(names[first] == "tablet·dddd" && names[second] == "tablet·eeee", "two live devices of one name both do")
        #expect(names[DeviceID(validating: "ffff000000000006")!] == "laptop·ffff", "another device named like this one does")
    }

    /// Every key the bar lists does something where the cursor is: changes
    /// what shows, or asks for work.
    @Test(arguments: Screen.allCases)
    func everyKeyInTheBarDoesSomething(on screen: Screen) {
        let base = state(on: screen)
        for binding in KeyMap.bar(for: base) {
            if case .show = binding.command { continue }
            guard let key = binding.keys.first else { continue }
            var state = base
            let effects = step(&state, .key(key))
            #expect(!effects.isEmpty || state != base, "\(binding.label) \(binding.description) on \(screen.title) does nothing")
        }
    }

    @Test func theBarListsNoDecisionWhereNothingWaits() {
        var empty = sampleSnapshot()
        empty.rows = empty.rows.filter { $0.state == .inSync }
        let state = state(on: .incoming, empty)
        let bar = AppView().render(state).lines.last ?? ""
        #expect(!bar.contains("accept") && !bar.contains("refuse") && !bar.contains("mark"), "\(bar)")
        let conflicts = self.state(on: .conflicts, empty)
        let conflictBar = AppView().render(conflicts).lines.last ?? ""
        #expect(!conflictBar.contains("keep this device") && !conflictBar.contains("merge"), "\(conflictBar)")
    }
}

/// Answers that arrive out of step with the sync that opened the prompt.
@Suite struct PromptRaceTests {
    @Test func aReloadFromBeforeTheSyncDoesNotCloseThePromptItsChangesOpen() {
        var before = sampleSnapshot()
        before.rows = before.rows.filter { $0.state != .incoming }
        var state = AppState()
        // The first reload and sync are asked; the reload reads the store before the sync applies anything.
        #expect(step(&state, .started(TerminalSize(120, 40))) == [.reload, .sync])
        _ = step(&state, .synced(device: "laptop", message: "synced: pulled 2, pushed 0 · 2 incoming", broughtIncoming: true))
        #expect(state.modal == .prompt(skipped: []))
        _ = step(&state, .loaded(before))
        #expect(state.modal == .prompt(skipped: []), "the reload asked after the sync is still to come")
        _ = step(&state, .loaded(sampleSnapshot()))
        #expect(state.modal == .prompt(skipped: []))
        #expect(AppView().render(state).text.contains("1 of 2"))
        // With no reload left to come, a prompt with nothing to show closes.
        _ = step(&state, .loaded(before))
        #expect(state.modal == nil)
    }
}

/// What the header keeps when the terminal is narrow.
@Suite struct NarrowHeaderTests {
    @Test(arguments: [(80, 24), (60, 20)])
    func theCountdownOfWhatWaitsToPublishStaysVisible(width: Int, height: Int) {
        var snapshot = sampleSnapshot()
        snapshot.newestQueuedMillis = snapshot.nowMillis - 3_000
        var state = AppState()
        state.size = TerminalSize(width, height)
        _ = step(&state, .loaded(snapshot))
        let header = AppView().render(state).lines[0]
        #expect(header.contains("1 publish in 7 s"), "\(header)")
        #expect(header.contains("↑ 1"), "the counts stay too: \(header)")
    }
}
