import Foundation
import Testing
import TandemCore
@testable import TandemTerminal

/// The devices screen lists a device whose record is damaged by its id, and
/// says which file is damaged and why.
@Suite struct DevicesScreenTests {
    @Test func aDamagedRecordIsListedByIDWithItsPath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-ui-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = folder.appendingPathComponent("vault")
        let created = try Vault.create(at: root, owner: "alice", protection: .none)
        let store = try DeviceStore.create(at: folder.appendingPathComponent("laptop.sqlite").path, name: "laptop",
                                           vault: Vault(root: root), descriptor: created.descriptor)
        let phone = "00000000000000b2"
        let record = root.appendingPathComponent("devices/\(phone).json")
        try Data("{ not a record".utf8).write(to: record)

        let snapshot = try Snapshot.load(Device(store: store))
        #expect(snapshot.damagedRecords.map(\.path) == [record.path])
        var state = AppState()
        state.size = TerminalSize(120, 30)
        _ = reduce(&state, .loaded(snapshot))
        _ = reduce(&state, .key(.character("5")))
        let text = AppView().render(state).text
        #expect(text.contains("\(phone)  damaged record"), "\(text)")
        _ = reduce(&state, .key(.down))
        let selected = AppView().render(state).text
        #expect(selected.contains("\(record.path): not a valid device record"), "\(selected)")
    }
}
