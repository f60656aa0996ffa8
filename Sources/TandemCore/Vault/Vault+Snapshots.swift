import Foundation

/// Snapshot manifests, `snapshots/<id>.json`: sealed like device records in
/// an encrypted vault, bound to their id, so one cannot be passed off as
/// another.
extension Vault {
    var snapshotsURL: URL { root.appendingPathComponent("snapshots", isDirectory: true) }

    public func manifestURL(_ id: String) -> URL {
        snapshotsURL.appendingPathComponent(id + ".json")
    }

    /// Writes a manifest; never replaces one.
    func writeManifest(_ manifest: SnapshotManifest) throws(TandemError) {
        let url = manifestURL(manifest.id)
        try Self.createPrivateFolder(snapshotsURL)
        let plain = try Self.sortedJSON(manifest, for: url)
        // Sealed manifests are compressed first (a fifth of the size); a plain vault's stay readable JSON.
        let stored = key == nil ? plain : Zstd.compress(Array(plain)[...]).map { Data($0) } ?? plain
        try writeSealedJSON(stored, to: url, purpose: .manifests, associatedData: Self.manifestAssociatedData(manifest.id), replacing: false)
    }

    /// The manifest of snapshot `id`.
    public func readManifest(_ id: String) throws(TandemError) -> SnapshotManifest {
        let url = manifestURL(id)
        guard Self.isSnapshotID(id) else { throw .noSuchSnapshot(id) }
        guard FileManager.default.fileExists(atPath: url.path) else { throw .noSuchSnapshot(id) }
        var plain: Data
        switch readSealedJSON(at: url, limit: VaultFileLimit.manifest, purpose: .manifests, associatedData: Self.manifestAssociatedData(id)) {
        case .success(let data): plain = data
        case .failure(let problem): throw .corruptManifest(path: url.path, reason: problem.description)
        }
        if Zstd.isFrame(plain) {
            guard let expanded = Zstd.decompressFrame(Array(plain), limit: Self.manifestLimit) else {
                throw .corruptManifest(path: url.path, reason: "its compressed content does not expand")
            }
            plain = Data(expanded)
        }
        guard let manifest = try? JSONDecoder().decode(SnapshotManifest.self, from: plain), manifest.id == id else {
            throw .corruptManifest(path: url.path, reason: "not the manifest of snapshot \(id)")
        }
        return manifest
    }

    /// No manifest expands beyond this: a damaged size field must not ask for more.
    static let manifestLimit = 1 << 30

    /// The ids of every snapshot in the vault, sorted.
    public func snapshotIDs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: snapshotsURL.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(Self.isSnapshotID).sorted()
    }

    /// The snapshot whose id is or starts with `prefix`.
    public func resolveSnapshot(_ prefix: String) throws(TandemError) -> String {
        let matches = snapshotIDs().filter { $0.hasPrefix(prefix.lowercased()) }
        guard !prefix.isEmpty, let first = matches.first else { throw .noSuchSnapshot(prefix) }
        guard matches.count == 1 else { throw .ambiguousSnapshot(prefix, count: matches.count) }
        return first
    }

    func removeManifest(_ id: String) throws(TandemError) {
        do { try FileManager.default.removeItem(at: manifestURL(id)) } catch {
            throw .io(path: manifestURL(id).path, reason: error.localizedDescription)
        }
    }

    static func isSnapshotID(_ text: String) -> Bool {
        text.count == 16 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    private static func manifestAssociatedData(_ id: String) -> [UInt8] {
        Array("tandem-manifest \(id)".utf8)
    }
}
