import Foundation
import Testing
@testable import TandemCore

/// What a sync says of how far it has read, as a fresh device restores.
@Suite struct SyncProgressTests {
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var all: [SyncProgress] = []
        func add(_ progress: SyncProgress) { lock.withLock { all.append(progress) } }
        var values: [SyncProgress] { lock.withLock { all } }
    }

    func restore(_ world: TestWorld, as name: String) async throws -> [SyncProgress] {
        _ = try world.addDevice(name)
        let seen = Seen()
        var synchronizer = Synchronizer(device: world.device(name), logger: TestWorld.quiet)
        synchronizer.progress = { seen.add($0) }
        _ = try await synchronizer.sync(policies: .all(.accept))
        return seen.values
    }

    @Test func aRestoreCountsSegmentsChangesAndBytesUpToWhatTheRecordsAnnounce() async throws {
        let world = try TestWorld(devices: ["laptop"])
        for batch in 0..<5 {
            for key in 0..<20 { try world["laptop"].write(context: "notes", key: "n\(batch)-\(key)", value: #"{"text":"note"}"#) }
            _ = try await world.sync("laptop")
        }
        let seen = try await restore(world, as: "phone")
        let last = try #require(seen.last)
        #expect(seen.first?.segmentsTotal == 5, "the total was not known from the start")
        #expect(last.segmentsTotal == 5)
        #expect(last.segmentsDone == 5)
        #expect(last.changesRead == 100)
        #expect(last.bytesRead > 0)
        #expect(last.fraction == 1)
        #expect(last.totalKnown)
        #expect(last.line(barWidth: 10).contains("5/5 segments · 100 changes"))

        // A device that is up to date reads nothing and is told nothing.
        var synchronizer = Synchronizer(device: world.device("phone"), logger: TestWorld.quiet)
        let again = Seen()
        synchronizer.progress = { again.add($0) }
        _ = try await synchronizer.sync(policies: .all(.accept))
        #expect(again.values.isEmpty)
    }

    /// Logs that hold more than their records say: what was read, and no share of an unknown whole.
    @Test func aTotalTheRecordsDoNotKnowIsNotGuessed() {
        var progress = SyncProgress()
        progress.segmentsTotal = 2
        progress.segmentsDone = 9
        progress.changesRead = 900
        #expect(!progress.totalKnown && progress.fraction == nil && progress.etaSeconds == nil)
        #expect(progress.summary == "9 segments read")
        #expect(progress.line(barWidth: 10).hasPrefix("9 segments · 900 changes"))
        progress.segmentsTotal = 18
        #expect(progress.fraction == 0.5 && progress.summary.hasPrefix("50% · 9/18 segments"))
    }

    @Test func aCheckpointCountsAsTheSegmentsItCovers() async throws {
        let world = try TestWorld(devices: ["laptop"])
        for batch in 0..<4 {
            try world["laptop"].write(context: "notes", key: "n\(batch)", value: #"{"text":"note"}"#)
            _ = try await world.sync("laptop")
        }
        var compactor = Synchronizer(device: world.device("laptop"), logger: TestWorld.quiet)
        compactor.compactionGraceMillis = 0
        _ = try await compactor.compact(graceMillis: 0, dryRun: false, upgrade: false)
        let last = try #require(try await restore(world, as: "phone").last)
        #expect(last.checkpointsRead == 1)
        #expect(last.segmentsDone == last.segmentsTotal)
        #expect(last.changesRead == 4)
        #expect(last.line(barWidth: 10).contains("1 checkpoint"))
    }
}
