import Foundation
import TandemCore
import TandemSimulation

/// Once a second, a cheap look for changes made elsewhere: the vault's logs
/// (another device pushed, or the vault came back) ask for a sync; the
/// store's write-ahead log (another process wrote here) or the demo's
/// devices ask for a reload.
final class VaultWatcher {
    private var vaultNews: [String] = []
    private var vaultReachable: Bool?
    private var storeSignature: String?
    private var lastDemoStatus: DemoStatus?
    private var lastLook = Date.distantPast

    /// Forgets what it saw: the UI now shows another device.
    func reset() {
        vaultNews = []
        vaultReachable = nil
        storeSignature = nil
    }

    /// What changed since the last look, at most once a second.
    func look(at device: Device, demo: DemoStatus?) -> Action? {
        let store = device.store
        guard Date().timeIntervalSince(lastLook) >= 1 else { return nil }
        lastLook = Date()
        if vaultHasNews(device) { return .vaultChanged }
        let wal = try? FileManager.default.attributesOfItem(atPath: store.path + "-wal")
        let signature = "\(wal?[.size] ?? 0) \(wal?[.modificationDate] ?? 0)"
        defer { storeSignature = signature }
        defer { lastDemoStatus = demo }
        if (storeSignature != nil && storeSignature != signature) || demo != lastDemoStatus { return .storeChanged }
        return nil
    }

    /// True when a sync would bring something: segments beyond this device's
    /// cursors (compared with the store, not with an earlier look, so nothing
    /// pushed around start-up is missed), or the vault just came back. The
    /// same unreadable segment does not ask again and again.
    private func vaultHasNews(_ device: Device) -> Bool {
        let store = device.store
        let reachable = (try? store.info()).map { Vault(root: URL(fileURLWithPath: $0.vaultPath)).isReachable } ?? false
        defer { vaultReachable = reachable }
        if reachable && vaultReachable == false { return true }
        let news = (try? Synchronizer(device: device).vaultNews()) ?? []
        defer { vaultNews = news }
        return !news.isEmpty && news != vaultNews
    }
}
