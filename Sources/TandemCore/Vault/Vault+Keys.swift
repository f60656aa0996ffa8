import Foundation

/// `keys/<key-id>.json` (format 5): one file per passphrase, each wrapping
/// the vault key under it, as restic's `keys/` folder does.
///
/// `vault.json` then holds no wrapping and is never rewritten: a passphrase
/// change writes a new file and removes the one it replaces. Two changes
/// made at once on two replicas of a synced folder touch different files,
/// so both new passphrases work afterwards, where two rewrites of one
/// `vault.json` left one of them silently dead (the folder kept one copy
/// and set the other aside as a conflict).
public struct KeyFile: Codable, Sendable, Equatable {
    public var format: Int
    /// 16 random hex digits, the file's name.
    public var id: String
    /// When this passphrase was set, ISO 8601.
    public var created: String
    /// The wrapping, as `vault.json` held it before format 5.
    public var encryption: VaultEncryption
    /// SHA-256 of the file's other members, as `vault.json`'s: damage is
    /// told from a wrong passphrase.
    public var checksum: String?

    static func isID(_ id: String) -> Bool {
        id.utf8.count == 16 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

extension Vault {
    var keysURL: URL { root.appendingPathComponent("keys", isDirectory: true) }

    func keyFileURL(_ id: String) -> URL {
        keysURL.appendingPathComponent(id + ".json")
    }

    /// Every key file that opens as one, sorted by id, and the files in
    /// `keys/` that do not, by path.
    public func keyFiles() -> (files: [KeyFile], problems: [(path: String, reason: String)]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: keysURL.path) else {
            return ([], [(keysURL.path, "missing or unreadable")])
        }
        var files: [KeyFile] = []
        var problems: [(path: String, reason: String)] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let url = keysURL.appendingPathComponent(name)
            let id = String(name.dropLast(5))
            guard name.hasSuffix(".json"), KeyFile.isID(id) else {
                problems.append((url.path, "not a key file"))
                continue
            }
            do {
                guard let bytes = try AtomicFile.read(url, limit: VaultFileLimit.descriptor) else { continue }
                let file = try JSONDecoder().decode(KeyFile.self, from: Data(bytes))
                guard file.id == id else { problems.append((url.path, "names key \(Escaped.text(file.id)), not \(id)")); continue }
                guard let checksum = file.checksum, checksum == VaultDescriptor.checksum(ofJSON: Data(bytes)) else {
                    problems.append((url.path, "its checksum does not match its fields (the file is damaged or was edited)"))
                    continue
                }
                if let problem = file.encryption.problem { problems.append((url.path, problem)); continue }
                files.append(file)
            } catch let error as AtomicFile.Failure {
                problems.append((url.path, error.reason))
            } catch {
                problems.append((url.path, "not the JSON of a key file"))
            }
        }
        return (files, problems)
    }

    /// Writes a new key file wrapping `key` under `passphrase`; returns its id.
    @discardableResult
    func addKeyFile(key: VaultKey, passphrase: String, parameters: ScryptParameters, descriptor: VaultDescriptor,
                    now: Date = Date()) throws(TandemError) -> String {
        let encryption: VaultEncryption
        do {
            encryption = try VaultEncryption.make(key: key, passphrase: passphrase, scrypt: parameters, vaultID: descriptor.id, owner: descriptor.owner)
        } catch {
            throw .io(path: keysURL.path, reason: "cannot derive the key: \(error)")
        }
        return try addKeyFile(encryption, now: now)
    }

    /// Writes `encryption` as a new key file; returns its id.
    @discardableResult
    func addKeyFile(_ encryption: VaultEncryption, now: Date = Date()) throws(TandemError) -> String {
        try Self.createPrivateFolder(keysURL)
        let id = Digest.randomHex(bytes: 8)
        var file = KeyFile(format: 1, id: id, created: ISO8601DateFormatter().string(from: now), encryption: encryption)
        file.checksum = (try? JSONEncoder().encode(file)).flatMap(VaultDescriptor.checksum(ofJSON:))
        try writeJSON(file, to: keyFileURL(id), replacing: false)
        return id
    }

    func removeKeyFile(_ id: String) throws(TandemError) {
        do { try FileManager.default.removeItem(at: keyFileURL(id)) } catch {
            guard FileManager.default.fileExists(atPath: keyFileURL(id).path) else { return }
            throw .io(path: keyFileURL(id).path, reason: error.localizedDescription)
        }
        AtomicFile.syncFolder(keysURL.path)
    }

    /// The vault key from `passphrase`, and the key file that wrapped it
    /// (nil for a vault of format 4 or before, whose `vault.json` wraps it).
    /// Each wrapping is tried; `wrongPassphrase` when none takes it.
    func openKey(passphrase: String, descriptor: VaultDescriptor) throws(TandemError) -> (key: VaultKey, file: String?) {
        let path = descriptorURL.path
        guard descriptor.format >= VaultFormat.keyFilesSince else {
            guard let encryption = descriptor.encryption else { throw .vaultCorrupt(path: path, reason: "encrypted, but the key section is missing") }
            return (try encryption.unwrap(passphrase: passphrase, vaultID: descriptor.id, owner: descriptor.owner, path: path), nil)
        }
        let (files, problems) = keyFiles()
        var damage: TandemError?
        for file in files {
            do {
                let key = try file.encryption.unwrap(passphrase: passphrase, vaultID: descriptor.id, owner: descriptor.owner, path: keyFileURL(file.id).path)
                // A key file planted beside the others may wrap a key of its own choosing.
                guard descriptor.accepts(key) else {
                    damage = damage ?? .vaultCorrupt(path: keyFileURL(file.id).path, reason: "it wraps a key that is not this vault's")
                    continue
                }
                return (key, file.id)
            } catch {
                if case .wrongPassphrase = error { continue }
                damage = damage ?? error
            }
        }
        if let damage { throw damage }
        guard !files.isEmpty else {
            let why = problems.first.map { "\($0.path): \($0.reason)" } ?? "\(keysURL.path) holds no key file"
            throw .vaultCorrupt(path: keysURL.path, reason: "no key file opens: \(why)")
        }
        // The passphrase may be right for a key file that is damaged: say so rather than "wrong passphrase".
        if let problem = problems.first {
            throw .vaultCorrupt(path: problem.path, reason: "the passphrase opens none of the key files that can be read, and this one cannot "
                                + "(\(problem.reason)): if the passphrase was its, open the vault with the recovery phrase and set it again")
        }
        throw .wrongPassphrase(path: path)
    }
}
