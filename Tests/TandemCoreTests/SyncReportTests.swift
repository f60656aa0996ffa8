import Foundation
import Testing
@testable import TandemCore

@Suite struct SyncReportTests {
    @Test func aSyncUnderAcceptCountsWhatItApplied() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        for key in ["a", "b", "c"] { try world.put("laptop", "notes", key, #"{"k":"\#(key)"}"#) }
        try await world.sync("laptop")
        let restore = try await world.sync("phone", .accept)
        #expect(restore.changesPulled == 3)
        #expect(restore.applied == 3)
        try world.put("laptop", "notes", "a", #"{"k":"A"}"#)
        try await world.sync("laptop")
        let review = try await world.sync("phone")
        #expect(review.changesPulled == 1)
        #expect(review.applied == 0, "under review the change waits")
        #expect(review.waiting == 1)
    }
}

@Suite struct VaultNewsTests {
    @Test func newsNamesTheSegmentsASyncWouldReadAndNothingOnceRead() async throws {
        let world = try TestWorld(devices: ["laptop", "phone"])
        try await world.sync("laptop")
        let laptop = Synchronizer(device: world.device("laptop"))
        #expect(try laptop.vaultNews().isEmpty)
        try world.put("phone", "notes", "a", "1")
        try await world.sync("phone")
        let news = try laptop.vaultNews()
        #expect(news.count == 1)
        #expect(news.first?.hasSuffix("000000000001.seg") == true, "\(news)")
        try await world.sync("laptop")
        #expect(try laptop.vaultNews().isEmpty)
        try world.takeVaultOffline()
        #expect(try laptop.vaultNews().isEmpty, "an unreachable vault has no news, and no error")
        try world.bringVaultBack()
    }
}

/// The log keeps what happened: a sync that moved nothing adds no line.
@Suite struct SyncLogTests {
    @Test func aSyncThatMovedNothingIsNotLogged() async throws {
        let world = try TestWorld(devices: ["a", "b"])
        try world.put("a", "c", "k", "1")
        try await world.sync("a")
        let lines = try world["a"].events(limit: 1000).count
        for _ in 0..<5 { try await world.sync("a") }
        #expect(try world["a"].events(limit: 1000).count == lines)
        try await world.sync("b")
        #expect(try world["b"].events(limit: 1).first?.message.hasPrefix("sync: pulled 1 changes") == true)
    }
}
