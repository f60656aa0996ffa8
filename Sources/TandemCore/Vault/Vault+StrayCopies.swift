import Foundation

/// A file a synced folder set beside one of the vault's files when two
/// machines changed it at once (Syncthing's `*.sync-conflict-*`, Dropbox's
/// "conflicted copy"), or a second descriptor beside `vault.json`. Tandem
/// reads only the file it names, so whatever the copy holds is invisible
/// until a person looks: each says what happened and what to do.
public struct StrayCopy: Sendable, Equatable, CustomStringConvertible {
    /// The copy, by path.
    public var path: String
    /// What it is and what to do.
    public var advice: String

    public var description: String { "\(path): \(advice)" }
}

extension Vault {
    /// Every stray copy in the vault's folders, sorted by path.
    public func strayCopies() -> [StrayCopy] {
        var found: [StrayCopy] = []
        func scan(_ folder: URL, advice: (String) -> String?) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
            for name in names.sorted() {
                if let text = advice(name) { found.append(StrayCopy(path: folder.appendingPathComponent(name).path, advice: text)) }
            }
        }
        let setAside = "the synced folder set this copy aside because two machines wrote the file at once; Tandem reads only"
        scan(root) { name in
            if Self.isConflictCopy(name) || (name.hasPrefix("vault") && name.hasSuffix(".json") && name != "vault.json") {
                return "a second vault descriptor: \(setAside) vault.json. In a vault before format 5 a passphrase change rewrites "
                    + "vault.json, so a passphrase set on the other machine may no longer open the vault: open it with one that does "
                    + "(or the recovery phrase), set the passphrase again, run 'tandem compact --upgrade' so each passphrase has a key "
                    + "file of its own, then remove this file"
            }
            return nil
        }
        scan(keysURL) { name in
            Self.isConflictCopy(name) ? "a key file changed after it was written (key files are written once): \(setAside) keys/<id>.json "
                + "files; remove this one" : nil
        }
        scan(devicesURL) { name in
            Self.isConflictCopy(name) ? "two machines wrote the same device's record: the device's store may run on both (a copied "
                + "home); \(setAside) devices/<id>.json, and each store that finds itself a copy becomes a device of its own at its "
                + "next sync; remove this file" : nil
        }
        for folder in [snapshotsURL, damageURL, condemnedURL] {
            scan(folder) { name in Self.isConflictCopy(name) ? "\(setAside) the file it was copied from; remove this one" : nil }
        }
        for prefix in (try? FileManager.default.contentsOfDirectory(atPath: packsURL.path)) ?? [] where prefix.count == 2 {
            scan(packsURL.appendingPathComponent(prefix)) { name in
                Self.isConflictCopy(name) ? "two machines changed the same pack (packs never change after they are written, so this is "
                    + "a touch that met another): \(setAside) the pack it was copied from; remove this one" : nil
            }
        }
        scan(logURL) { name in Self.isConflictCopy(name) ? "\(setAside) log/<device-id> folders; remove this one" : nil }
        for device in (try? loggingDevices()) ?? [] {
            scan(logFolder(of: device)) { name in
                Self.isConflictCopy(name) ? "two machines wrote the same file of device \(device)'s log: its store may run on both (a "
                    + "copied home); \(setAside) the file it was copied from, and 'tandem check' says whether the log is whole; remove this one" : nil
            }
        }
        return found.sorted { $0.path < $1.path }
    }

    /// Whether `name` is how a synced folder names a conflicting copy.
    ///
    /// Every sync asks this of every name in the vault's folders, a log's
    /// thousand segments included: the bytes are searched for "onflict"
    /// first, and only such a name is looked at again.
    static func isConflictCopy(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        let needle = Array("onflict".utf8)
        guard bytes.count >= needle.count, (0...(bytes.count - needle.count)).contains(where: { start in
            bytes[start..<(start + needle.count)].elementsEqual(needle)
        }) else { return false }
        let lower = name.lowercased()
        return lower.contains(".sync-conflict-") || lower.contains("conflicted copy") || lower.contains("case conflict")
    }
}
