/// Everything that can go wrong, each with a message that says what and where.
public enum TandemError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidContextName(String)
    case invalidKey(String, reason: String)
    case invalidUTF8(what: String, offset: Int)
    case invalidJSON(reason: String)
    case invalidInput(what: String, reason: String)
    case valueTooLarge(bytes: Int, limit: Int)
    case invalidDeviceName(String)
    case noSuchEntry(context: String, key: String)
    case noSuchChange(String)
    /// The change waiting at an entry is not the one shown when the person decided.
    case changedSince(context: String, key: String)
    case cannotUndo(reason: String)
    case notAConflict(context: String, key: String)
    case noSuchVersion(context: String, key: String, device: String)
    case vaultMissing(path: String)
    case vaultUnreachable(path: String)
    case unpushedChanges(device: String, count: Int)
    case vaultAlreadyExists(path: String)
    case vaultUnsupportedFormat(path: String, format: Int)
    case vaultFormatTooOld(path: String, format: Int, needed: Int)
    case deviceRetired(device: String, by: String, at: String, unpublished: Int)
    case cannotRetire(reason: String)
    case syncFirst(reason: String)
    case vaultCorrupt(path: String, reason: String)
    case wrongVault(path: String, expected: String, found: String)
    case corruptSegment(path: String, reason: String)
    case corruptCheckpoint(path: String, reason: String)
    case corruptObject(path: String, reason: String)
    case corruptManifest(path: String, reason: String)
    case noSuchSnapshot(String)
    case ambiguousSnapshot(String, count: Int)
    case snapshotFailed(reason: String)
    case restoreRefused(path: String, reason: String)
    /// Chunks a snapshot needs are in no pack of this copy of the vault.
    case snapshotNotArrived(id: String, missing: Int, chunks: Int)
    case storeCorrupt(path: String, reason: String)
    case storeFailed(path: String, reason: String)
    case storeReadOnly(path: String, reason: String)
    case deviceExists(name: String)
    case deviceNameTaken(name: String, device: DeviceID, vault: String)
    case noDeviceToReplace(name: String, vault: String)
    case noSuchDevice(name: String)
    case noDevice(home: String)
    case ambiguousDevice(home: String, names: [String])
    case io(path: String, reason: String)
    case handlerFailed(context: String, key: String, reason: String)
    case invalidMigrationsFile(path: String, reason: String)
    case migrationFailed(context: String, key: String, reason: String)
    case needsNewerApp(context: String, key: String, schema: Int, known: Int)
    case schemaDowngrade(context: String, current: Int, requested: Int)
    case vaultLocked(path: String)
    case wrongPassphrase(path: String)
    case wrongRecoveryPhrase(reason: String)
    case vaultKeyMismatch(path: String)
    case vaultNotEncrypted(path: String)
    case emptyPassphrase
    case ownerMismatch(path: String, vaultOwner: String, requested: String)
    case sealingChanged(path: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .invalidContextName(let name):
            "invalid context name \(Escaped.quoted(name)): use 1–64 of a–z, 0–9, '.', '_' and '-'"
        case .invalidKey(let key, let reason):
            "invalid key \(Escaped.quoted(key)): \(reason)"
        case .invalidUTF8(let what, let offset):
            "\(what) is not valid UTF-8 at byte offset \(offset): keys, context names and paths must be UTF-8; nothing was changed"
        case .invalidJSON(let reason):
            "value is not valid JSON: \(reason)"
        case .valueTooLarge(let bytes, let limit):
            "value is \(bytes) bytes, more than the limit of \(limit) bytes"
        case .invalidDeviceName(let name):
            "invalid device name \(Escaped.quoted(name)): use 1–64 of a–z, 0–9, '.', '_' and '-'"
        case .noSuchEntry(let context, let key):
            "no entry \(Escaped.entry(context, key))"
        case .cannotUndo(let reason):
            "cannot undo: \(reason)"
        case .changedSince(let context, let key):
            "\(Escaped.entry(context, key)) changed since it was shown; nothing was decided"
        case .noSuchChange(let id):
            "no incoming change with id \(Escaped.quoted(id)) (see 'tandem incoming')"
        case .notAConflict(let context, let key):
            "\(Escaped.entry(context, key)) is not in conflict"
        case .noSuchVersion(let context, let key, let device):
            "\(Escaped.entry(context, key)) has no conflicting version from \(Escaped.quoted(device))"
        case .vaultMissing(let path):
            "no vault at \(path) (create one with 'tandem init --vault \(path) --owner ID')"
        case .unpushedChanges(let device, let count):
            "\(device) has \(count) changes not pushed yet: sync it first, or they are lost with its store; nothing was changed"
        case .vaultUnreachable(let path):
            "the vault at \(path) cannot be reached (the device is offline); nothing was changed"
        case .vaultAlreadyExists(let path):
            "\(path) already holds a vault"
        case .deviceRetired(let device, let by, let at, let unpublished):
            "this device (\(device)) was retired by \(by) on \(at): the vault no longer takes its writes"
                + (unpublished > 0 ? "; this store holds \(unpublished) change\(unpublished == 1 ? "" : "s") it did not publish itself" : "")
                + ". Run 'tandem device rejoin' to make this store a new device that keeps what it holds, or make the device anew with "
                + "'tandem device create NAME --vault PATH' (its data comes back from the vault); nothing was written"
        case .syncFirst(let reason):
            "\(reason): run 'tandem sync' first, which settles what this store is; nothing was changed"
        case .cannotRetire(let reason):
            "cannot retire: \(reason); nothing was changed"
        case .vaultFormatTooOld(let path, let format, let needed):
            "\(path): vault format \(format) holds no checkpoints or retired devices; this needs format \(needed), which devices running an older "
                + "tandem cannot read. Once every device runs this version, run 'tandem compact --upgrade'; nothing was changed"
        case .vaultUnsupportedFormat(let path, let format):
            "\(path): vault format \(format) is newer than this tandem understands (format \(VaultFormat.version)); upgrade tandem"
        case .vaultCorrupt(let path, let reason):
            "\(path): not a valid vault file: \(reason)"
        case .wrongVault(let path, let expected, let found):
            "\(path) holds vault \(found), but this device belongs to vault \(expected)"
        case .corruptSegment(let path, let reason):
            "\(path): corrupt segment, not applied: \(reason)"
        case .corruptCheckpoint(let path, let reason):
            "\(path): damaged checkpoint, not applied: \(reason)"
        case .corruptObject(let path, let reason):
            "\(path): damaged object: \(reason); nothing restored from it"
        case .corruptManifest(let path, let reason):
            "\(path): damaged snapshot manifest: \(reason)"
        case .noSuchSnapshot(let id):
            "no snapshot \(Escaped.quoted(id)) in the vault (tandem snapshot list shows them)"
        case .ambiguousSnapshot(let prefix, let count):
            "\(count) snapshots start with \(Escaped.quoted(prefix)); give more of the id"
        case .snapshotFailed(let reason):
            "snapshot failed: \(reason); no snapshot was recorded as complete"
        case .snapshotNotArrived(let id, let missing, let chunks):
            "snapshot \(id.prefix(8)) is not complete in this copy of the vault: \(missing) of the \(chunks) chunks it needs are in no pack here "
                + "(the vault may still be replicating; try again once it has synced); nothing was written"
        case .restoreRefused(let path, let reason):
            "\(path): \(reason); nothing was restored"
        case .storeCorrupt(let path, let reason):
            "\(path): device store is damaged: \(reason)"
        case .storeFailed(let path, let reason):
            "\(path): device store unchanged: \(reason)"
        case .storeReadOnly(let path, let reason):
            "\(path): the device store is read-only (\(reason)): commands that only read work; this one writes, so nothing was changed"
        case .invalidInput(let what, let reason):
            "\(what): \(reason); nothing was written"
        case .deviceExists(let name):
            "a device named \(Escaped.quoted(name)) already exists here"
        case .deviceNameTaken(let name, let device, let vault):
            "the vault at \(vault) already has a device named \(Escaped.quoted(name)) (\(device)): pick another name; if this is that "
                + "device reinstalled (its store lost), add --replaces \(Escaped.quoted(name)), and it stops being waited for once this one has "
                + "restored; nothing was changed"
        case .noDeviceToReplace(let name, let vault):
            "the vault at \(vault) has no device \(Escaped.quoted(name)) to replace (see 'tandem device list'); nothing was changed"
        case .noSuchDevice(let name):
            "no device named \(Escaped.quoted(name)) (see 'tandem device list')"
        case .noDevice(let home):
            "no device in \(home) (create one with 'tandem device create NAME --vault PATH')"
        case .ambiguousDevice(let home, let names):
            "several devices in \(home) (\(names.joined(separator: ", "))): choose one with --device NAME"
        case .io(let path, let reason):
            "\(path): \(reason)"
        case .handlerFailed(let context, let key, let reason):
            "handler failed for \(Escaped.entry(context, key)): \(reason)"
        case .invalidMigrationsFile(let path, let reason):
            "\(path): invalid migrations file: \(reason); nothing changed"
        case .migrationFailed(let context, let key, let reason):
            "cannot migrate \(Escaped.entry(context, key)): \(reason); nothing changed"
        case .needsNewerApp(let context, let key, let schema, let known):
            "\(Escaped.entry(context, key)) needs a newer app: it was written with schema \(schema) of \(context), this device knows \(known); nothing changed"
        case .schemaDowngrade(let context, let current, let requested):
            "context \(context) is at schema \(current) here; it cannot go back to \(requested); nothing changed"
        case .vaultLocked(let path):
            "the vault at \(path) is encrypted and this device does not remember its key: give the passphrase (asked in a terminal, or --passphrase-file FILE, or TANDEM_PASSPHRASE), or run 'tandem unlock' to remember it here"
        case .wrongPassphrase(let path):
            "\(path): wrong passphrase; nothing changed"
        case .wrongRecoveryPhrase(let reason):
            "wrong recovery phrase: \(reason); nothing changed"
        case .vaultKeyMismatch(let path):
            "\(path): the key this device holds does not open this vault: vault.json was replaced or damaged (put back a copy of it), or this is another vault; nothing changed"
        case .vaultNotEncrypted(let path):
            "the vault at \(path) is not encrypted; it has no passphrase"
        case .emptyPassphrase:
            "the passphrase is empty"
        case .ownerMismatch(let path, let vaultOwner, let requested):
            "the vault at \(path) belongs to \(Escaped.quoted(vaultOwner)), not \(Escaped.quoted(requested)): a vault restores only for its own owner; nothing changed"
        case .sealingChanged(let path, let expected, let found):
            "\(path): this device joined a vault sealed with \(expected), but vault.json now says \(found) (replaced or tampered with); nothing changed"
        }
    }
}
