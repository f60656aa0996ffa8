import Foundation
import TandemCore
import TandemTerminal

/// The terminal UI on a store of 100,000 entries: the time from opening the
/// store to the first frame, its peak memory, and the frame time while
/// scrolling, beside the same on a store of 1,000 entries.
extension Bench {
    static func uiFigure() async throws {
        print("ui: entries screen, 120×40, frame = reduce + read the entry on screen + draw into the grid")
        var results: [Int: [String: Double]] = [:]
        for count in [100_000, 1_000] {
            let folder = scratch("ui")
            defer { try? FileManager.default.removeItem(at: folder) }
            var generator = try VaultGenerator(root: folder.appendingPathComponent("vault"), deviceCount: 2)
            try generator.push(device: generator.devices[0], context: "messages", keys: 0..<(count / 2), perSegment: 1000)
            try generator.push(device: generator.devices[1], context: "friends", keys: (count / 2)..<count, perSegment: 1000)
            let path = folder.appendingPathComponent("store.sqlite").path
            let store = try DeviceStore.create(at: path, name: "laptop", vault: generator.vault, descriptor: generator.descriptor)
            _ = try await Synchronizer(device: Device(store: store, key: generator.vault.key)).sync(policies: .all(.accept))
            try store.close()
            results[count] = try Measure.child(["ui-child", path, String(count)])
        }
        let large = results[100_000] ?? [:], small = results[1_000] ?? [:]
        func row(_ label: String, _ key: String, _ unit: String, _ scale: Double, _ target: String) {
            let big = (large[key] ?? 0) * scale, little = (small[key] ?? 0) * scale
            let line = String(format: "  %@ %8.2f %@   1,000 entries: %8.2f %@   ratio %.2f×",
                              label.padding(toLength: 40, withPad: " ", startingAt: 0), big, unit, little, unit, big / max(little, 1e-9))
            print(target.isEmpty ? line : line + "  (\(target))")
        }
        row("start to first frame", "startSeconds", "ms", 1000, "target < 500 ms")
        row("frame while scrolling, median", "frameMedian", "ms", 1000, "target < 2 ms")
        row("frame while scrolling, 99th percentile", "frameP99", "ms", 1000, "")
        row("peak memory", "peakMB", "MB", 1, "target < 150 MB")
    }

    /// Opens the store as `tandem tui` does and scrolls through it: down,
    /// page down and up, to the end and back, 2,000 frames.
    static func uiChild(store path: String, count: Int) throws {
        var state = AppState()
        let view = AppView()
        var store: DeviceStore?
        let start = try syncSeconds {
            let opened = try DeviceStore.open(at: path)
            store = opened
            state.size = TerminalSize(120, 40)
            try frame(&state, .loaded(Snapshot.load(Device(store: opened))), opened, view)
        }
        guard let store, state.rows.count == count else { throw BenchError(description: "the UI shows \(state.rows.count) of \(count) entries") }
        let keys: [Key] = [.down, .down, .down, .pageDown, .down, .pageUp, .character("G"), .up, .character("g"), .pageDown]
        var times: [Double] = []
        for index in 0..<2_000 {
            times.append(try syncSeconds { try frame(&state, .key(keys[index % keys.count]), store, view) })
        }
        times.sort()
        print("startSeconds=\(start) frameMedian=\(times[times.count / 2]) frameP99=\(times[times.count * 99 / 100]) peakMB=\(Measure.peakMemoryMB())")
    }

    /// One frame as the app makes it: reduce, read the entry it asks for, draw.
    private static func frame(_ state: inout AppState, _ action: Action, _ store: DeviceStore, _ view: AppView) throws {
        var effects = reduce(&state, action)
        while case .loadDetail(let ref)? = effects.first {
            effects.removeFirst()
            effects += reduce(&state, .detailLoaded(LoadedDetail(ref: ref, status: try store.entry(context: ref.context, key: ref.key))))
        }
        let grid = view.render(state)
        guard grid.width == 120 else { throw BenchError(description: "no frame drawn") }
    }
}
