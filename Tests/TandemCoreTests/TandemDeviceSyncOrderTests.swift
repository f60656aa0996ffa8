import Foundation
import Testing
@testable import TandemCore

/// Syncs asked of one device while one runs wait their turn, and waiting
/// for idle waits for the last of them: a sync that ended once cleared the
/// marker of a newer one, and two callers waiting on the same sync then
/// ran theirs at the same time.
@Suite struct TandemDeviceSyncOrderTests {
    /// Opens when `open()` is called; handlers wait on it.
    actor Gate {
        private var isOpen = false
        private var waiting: [CheckedContinuation<Void, Never>] = []
        func wait() async {
            if isOpen { return }
            await withCheckedContinuation { waiting.append($0) }
        }
        func open() {
            isOpen = true
            for continuation in waiting { continuation.resume() }
            waiting = []
        }
    }

    @Test func syncsAskedWhileOneRunsRunOneAtATimeAndIdleWaitsForTheLast() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        try world.put("phone", "c", "k", "1")
        try await world.sync("phone")
        let gate = Gate()
        let device = TandemDevice(store: world["laptop"], coalescingDelay: .seconds(60))
        try await device.addSyncContext("c", onInsert: { _ in
            await gate.wait()
            // A handler that takes a moment: the sync suspends in it.
            try await Task.sleep(for: .milliseconds(20))
            return .applied
        },
                                        onModify: { _ in .applied }, onDelete: { _ in .applied })
        let first = Task { try await device.sync() }
        // The first sync waits in its handler; two more are asked meanwhile.
        while await device.syncsRunning == 0 { try await Task.sleep(for: .milliseconds(5)) }
        // The phone writes again, so that the syncs after the first have work.
        try world.put("phone", "c", "k2", "2")
        try await world.sync("phone")
        let second = Task { try await device.sync() }
        let third = Task { try await device.sync() }
        try await Task.sleep(for: .milliseconds(50))
        await gate.open()
        await device.waitUntilIdle()
        #expect(await device.syncsRunning == 0, "idle means no sync runs")
        #expect(try world.state("laptop", "c", "k2") == .inSync, "idle came after the syncs asked later, which bring k2")
        _ = try await (first.value, second.value, third.value)
        #expect(await device.mostSyncsAtOnce == 1, "never two syncs at once")
        #expect(try world.state("laptop", "c", "k") == .inSync)
    }
}
