import Foundation
import Testing
import TandemCore
@testable import TandemTerminal

/// A long first sync says how far it has read, in the header, until it ends.
@Suite struct SyncProgressScreenTests {
    @Test(arguments: [TerminalSize(120, 40), TerminalSize(80, 24)])
    func theHeaderShowsHowFarTheSyncHasReadThenWhenItSynced(size: TerminalSize) {
        var state = AppState()
        state.size = size
        _ = step(&state, .started(size))
        _ = step(&state, .loaded(sampleSnapshot()))
        #expect(state.syncing)
        var progress = SyncProgress()
        progress.segmentsDone = 1_200
        progress.segmentsTotal = 3_000
        progress.changesRead = 48_000
        progress.elapsedSeconds = 6
        _ = step(&state, .syncProgress(device: state.snapshot!.device, progress))
        let header = AppView().render(state).text.split(separator: "\n").first.map(String.init) ?? ""
        // Wide, all of it; narrower, how much is done.
        #expect(header.contains(size.width >= 100 ? "syncing 40% · 1200/3000 segments · 9s left" : "· syncing 40%"), "\(header)")
        _ = step(&state, .synced(device: state.snapshot!.device, message: "synced: pulled 48000", broughtIncoming: false))
        let after = AppView().render(state).text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(!after.contains("segments"), "\(after)")
        // Progress that arrives after the end does not bring it back.
        _ = step(&state, .syncProgress(device: state.snapshot!.device, progress))
        #expect(state.syncProgress == nil)
    }
}
