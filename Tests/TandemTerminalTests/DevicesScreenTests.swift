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

    /// A retired device is listed apart: its record while it is in the
    /// vault, marked retired, and after its record is gone, by the name
    /// the retiring device kept.
    @Test func retiredDevicesAreListedApart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-ui-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = folder.appendingPathComponent("vault")
        let created = try Vault.create(at: root, owner: "alice", protection: .none)
        func device(_ name: String) throws -> Device {
            Device(store: try DeviceStore.create(at: folder.appendingPathComponent("\(name).sqlite").path, name: name,
                                                 vault: Vault(root: root), descriptor: created.descriptor))
        }
        let laptop = try device("laptop"), tablet = try device("tablet")
        try tablet.store.write(context: "notes", key: "k", value: "1")
        _ = try await Synchronizer(device: tablet).sync(policies: .all(.review))
        var synchronizer = Synchronizer(device: laptop)
        _ = try await synchronizer.sync(policies: .all(.accept))
        _ = try await synchronizer.retire(try tablet.store.info().id)

        func screen() throws -> String {
            var state = AppState()
            state.size = TerminalSize(120, 30)
            _ = reduce(&state, .loaded(try Snapshot.load(laptop)))
            _ = reduce(&state, .key(.character("5")))
            return AppView().render(state).text
        }
        let listed = try screen()
        #expect(listed.contains("Devices (2) · 1 retired"), "\(listed)")
        #expect(listed.contains("tablet            retired"), "\(listed)")

        synchronizer.compactionGraceMillis = 0
        _ = try await synchronizer.sync(policies: .all(.accept))
        _ = try await synchronizer.sync(policies: .all(.accept))
        let gone = try screen()
        #expect(gone.contains("Devices (2) · 1 retired"), "\(gone)")
        #expect(gone.contains("tablet            retired   by laptop"), "\(gone)")
        #expect(gone.contains("its log and record are gone"), "\(gone)")
    }
}
