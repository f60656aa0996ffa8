import Foundation
import Testing
import TandemCore
@testable import TandemTerminal

/// The snapshots screen: a folder typed and started, its progress drawn as
/// it comes, and its end reported and listed.
@Suite struct SnapshotsScreenTests {
    private func state() -> AppState {
        var state = AppState()
        state.size = TerminalSize(120, 30)
        _ = step(&state, .loaded(sampleSnapshot()))
        _ = step(&state, .key(.character("7")))
        return state
    }

    @Test func aTypedFolderStartsASnapshotAndEscapeGivesUp() {
        var state = state()
        #expect(state.screen == .snapshots)
        #expect(AppView().render(state).text.contains("no snapshots yet — n backs up a folder"))
        _ = step(&state, .key(.character("n")))
        #expect(state.textField == TextField(.snapshotFolder))
        for character in "/tmp/photos" { _ = step(&state, .key(.character(character))) }
        _ = step(&state, .key(.backspace))
        #expect(AppView().render(state).text.contains("snapshot of folder (Enter starts, Esc cancels): /tmp/photo▏"))
        #expect(step(&state, .key(.enter)) == [.snapshot("/tmp/photo")])
        #expect(state.textField == nil)
        #expect(state.backup?.running == true)

        // A second one waits for the first.
        _ = step(&state, .key(.character("n")))
        #expect(state.textField == nil)
        #expect(state.notice == "a snapshot is running; wait for it to end")

        var other = self.state()
        _ = step(&other, .key(.character("n")))
        _ = step(&other, .key(.character("x")))
        #expect(step(&other, .key(.escape)).isEmpty)
        #expect(other.textField == nil && other.backup == nil)
    }

    @Test func progressIsDrawnThenTheOutcome() {
        var state = state()
        _ = step(&state, .key(.character("n")))
        for character in "/data" { _ = step(&state, .key(.character(character))) }
        _ = step(&state, .key(.enter))
        #expect(AppView().render(state).text.contains("backing up /data: reading the folder…"))
        let progress = SnapshotProgress(filesDone: 120, filesTotal: 300, bytesDone: 3 << 30, bytesTotal: 6 << 30, bytesWritten: 1 << 30,
                                        elapsedSeconds: 30)
        _ = step(&state, .snapshotProgress(progress))
        let text = AppView().render(state).text
        #expect(text.contains("backing up /data ██████████░░░░░░░░░░ 50% · 120/300 files · 3.0 GiB/6.0 GiB · 102.4 MiB/s · 30s left"), "\(text)")
        #expect(step(&state, .snapshotEnded("snapshot 3f9c2a81: completed · 300 files")) == [.reload])
        #expect(state.backup?.running == false)
        // Progress that arrives late does not bring the bar back.
        _ = step(&state, .snapshotProgress(progress))
        #expect(AppView().render(state).text.contains("snapshot 3f9c2a81: completed · 300 files"))
        #expect(!AppView().render(state).text.contains("50%"))
    }

    /// A file that grew while it was read makes more bytes than counted:
    /// the bar stays full instead of crashing.
    @Test func moreBytesThanCountedKeepTheBarFull() {
        var state = state()
        _ = step(&state, .key(.character("n")))
        _ = step(&state, .key(.character("d")))
        _ = step(&state, .key(.enter))
        let progress = SnapshotProgress(filesDone: 1, filesTotal: 1, bytesDone: 1300, bytesTotal: 1000, bytesWritten: 0, elapsedSeconds: 1)
        _ = step(&state, .snapshotProgress(progress))
        #expect(AppView().render(state).text.contains("████████████████████ 100%"))
    }
}
