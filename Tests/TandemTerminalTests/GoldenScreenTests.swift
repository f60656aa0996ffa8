import Foundation
import Testing
import TandemCore
@testable import TandemTerminal

/// Every screen, the prompt, the value view and help, drawn whole at the
/// three sizes people use, compared with the frames checked in under
/// Golden/. A change that moves a cell shows here as a diff; after a change
/// meant to move them, `TANDEM_RECORD_GOLDEN=1 swift test --filter
/// GoldenScreenTests` writes them again, to be read before committing.
@Suite struct GoldenScreenTests {
    static let sizes = [TerminalSize(120, 40), TerminalSize(80, 24), TerminalSize(60, 20)]
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// The sample with two devices and a log, so that no screen is empty.
    static func snapshot() -> Snapshot {
        var snapshot = sampleSnapshot()
        let phone = DeviceID(validating: "00000000000000b2")!
        snapshot.devices = [DeviceRecord(id: snapshot.deviceID, name: "laptop", created: "2026-01-01T10:00:00Z", lastSyncMillis: snapshot.nowMillis - 12_000,
                                         pushedSeq: 3, applied: [phone.rawValue: 2]),
                            DeviceRecord(id: phone, name: "phone", created: "2026-01-02T10:00:00Z", lastSyncMillis: snapshot.nowMillis - 30_000,
                                         pushedSeq: 3, applied: [snapshot.deviceID.rawValue: 3])]
        snapshot.events = [LogEvent(atMillis: snapshot.nowMillis - 12_000, level: "info", message: "sync: pulled 2 changes in 1 segments, pushed 1 in 1"),
                           LogEvent(atMillis: snapshot.nowMillis - 40_000, level: "info", message: "take-remote 00000000000000b2:3 friends/dave"),
                           LogEvent(atMillis: snapshot.nowMillis - 90_000, level: "error", message: "sync: the vault at /vault is not reachable")]
        return snapshot
    }

    static func frames() -> [(name: String, text: String)] {
        var frames: [(String, String)] = []
        for size in sizes {
            func shot(_ name: String, _ keys: [Key]) {
                var state = AppState()
                state.size = size
                _ = step(&state, .loaded(snapshot()))
                for key in keys { _ = step(&state, .key(key)) }
                frames.append(("\(name)-\(size.width)x\(size.height)", AppView().render(state).text))
            }
            for screen in Screen.allCases {
                shot("\(screen.rawValue)-\(screen.title.lowercased())", [.character(Character(String(screen.rawValue)))])
            }
            shot("value-view-conflict", [.character("3"), .enter])
            shot("filter-incoming", [.character("2"), .character("/"), .character("c")])
            shot("help-entries", [.character("?")])
            var prompt = AppState()
            prompt.size = size
            _ = step(&prompt, .loaded(snapshot()))
            _ = step(&prompt, .synced(device: "laptop", message: "synced: pulled 2, pushed 0 · 2 incoming", broughtIncoming: true))
            frames.append(("prompt-\(size.width)x\(size.height)", AppView().render(prompt).text))
        }
        return frames
    }

    @Test func everyScreenAtEverySizeDrawsAsCheckedIn() throws {
        let record = ProcessInfo.processInfo.environment["TANDEM_RECORD_GOLDEN"] == "1"
        if record { try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true) }
        for (name, text) in Self.frames() {
            let file = Self.folder.appendingPathComponent(name + ".txt")
            if record {
                try Data(text.utf8).write(to: file)
                continue
            }
            let expected = try String(contentsOf: file, encoding: .utf8)
            #expect(text == expected, "\(name) differs from Golden/\(name).txt; it is now:\n\(text)")
        }
    }
}
