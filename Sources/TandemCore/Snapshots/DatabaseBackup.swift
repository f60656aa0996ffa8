#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB

/// SQLite databases, backed up while their app keeps writing (DESIGN §7).
extension SnapshotService {
    /// Copies the database at `path` with SQLite's online backup API, and
    /// snapshots the copy while SQLite checks it (`PRAGMA quick_check`): a
    /// copy that fails the check gets no manifest.
    ///
    /// The copy is one backup step: it reads every page inside one read
    /// transaction, so writers in WAL mode go on, and the copy is the
    /// database at one point in time. (Copying page by page restarts whenever
    /// another connection writes, and under steady writes may never end.)
    public func backupDatabase(at path: String, options: SnapshotOptions = SnapshotOptions(),
                               progress: @escaping @Sendable (SnapshotProgress) -> Void = { _ in }) throws(TandemError) -> SnapshotResult {
        let source = URL(fileURLWithPath: path).standardizedFileURL.path
        try finishInterruptedWork()
        try DatabaseRestore.finishInterrupted(in: (source as NSString).deletingLastPathComponent)
        guard FileManager.default.fileExists(atPath: source) else { throw .io(path: source, reason: "no database here") }
        // A plaintext copy of the database: in a locked folder that every way
        // out removes (a signal too), and that the next start removes after a kill.
        let scratch = try newBackupScratch()
        defer { scratch.remove() }
        let copy = scratch.path + "/" + (source as NSString).lastPathComponent
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(30)
            // Pages are read from a mapping, not copied out one pread at a time.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 1073741824") }
            let database = try DatabaseQueue(path: source, configuration: configuration)
            // The copy is scratch, read once then deleted: it need not reach the
            // disk (what reaches the vault is fsynced there).
            var scratchConfiguration = Configuration()
            scratchConfiguration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF") }
            let target = try DatabaseQueue(path: copy, configuration: scratchConfiguration)
            try database.backup(to: target)
            try database.close()
            // One file: the copy takes the rollback journal mode before it is read.
            try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
        } catch {
            throw .io(path: source, reason: "cannot copy the database: \(error)")
        }
        PausePoint.reached("db-backup-copied")
        let check = BackgroundCheck { () throws(TandemError) in
            do {
                var readOnly = Configuration()
                readOnly.readonly = true
                readOnly.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 1073741824") }
                let queue = try DatabaseQueue(path: copy, configuration: readOnly)
                defer { try? queue.close() }
                try Self.checkIntegrity(queue, path: source)
            } catch let error as TandemError {
                throw error
            } catch {
                throw .io(path: source, reason: "the copy does not open: \(error)")
            }
        }
        // The check ends before the scratch folder goes, even when the snapshot fails.
        defer { _ = check.outcome() }
        var named = options
        named.name = options.name ?? (source as NSString).lastPathComponent
        // A database is backed up often, while its app runs: level 1 is a third
        // faster than level 3 for about 5% more bytes (DesignNotes, "Why zstd, and two levels").
        named.compression = options.compression ?? .fast
        return try createSnapshot(of: copy, kind: "database", recordedAs: source, options: named, progress: progress) { () throws(TandemError) in
            if let failure = check.outcome() { throw failure }
        }
    }

    /// Restores database snapshot `id` to `path`. Refused when the snapshot's
    /// owner is not the vault's, and when `path` exists unless `force`. The
    /// database is restored beside `path`, checked, then renamed over it, so
    /// `path` is never half written; a restore killed while it replaces the
    /// database is finished by the next one (`DatabaseRestore`).
    public func restoreDatabase(_ id: String, to path: String, force: Bool) throws(TandemError) -> SnapshotResult {
        let vault = try vault()
        let manifest = try vault.readManifest(try vault.resolveSnapshot(id))
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        guard manifest.kind == "database", let file = manifest.nodes.first, manifest.nodes.count == 1, file.kind == .file else {
            throw .restoreRefused(path: target, reason: "snapshot \(manifest.shortID) is not a database backup")
        }
        let owner = try vault.readDescriptor().owner
        guard manifest.owner == owner else {
            throw .ownerMismatch(path: vault.manifestURL(manifest.id).path, vaultOwner: owner, requested: manifest.owner)
        }
        let folder = (target as NSString).deletingLastPathComponent
        try finishInterruptedWork()
        try DatabaseRestore.finishInterrupted(in: folder)
        if FileManager.default.fileExists(atPath: target), !force {
            throw .restoreRefused(path: target, reason: "exists; pass --force to replace it")
        }
        // Until its plan is written, a signal removes the copy; after, the next run finishes the job.
        let scratch = try ScratchFolder.create(at: folder + "/" + DatabaseRestore.folderPrefix + Self.newSnapshotID(), removedOnSignal: true)
        let record = try recordRestore(scratch.path)
        defer {
            if FileManager.default.fileExists(atPath: scratch.path) { scratch.remove() }
            unlink(record)
        }
        var result = try SnapshotRestorer(vault: vault, device: try info().id, workRoot: scratchRoot, concurrency: 1)
            .restore(manifest, to: scratch.path + "/new", subpath: nil, progress: { _ in })
        guard result.errors.isEmpty else { throw .restoreRefused(path: target, reason: result.errors.joined(separator: "; ")) }
        let restored = scratch.path + "/new/" + file.path
        do {
            let queue = try DatabaseQueue(path: restored)
            try Self.checkIntegrity(queue, path: restored)
            try queue.close()
        } catch let error as TandemError {
            throw error
        } catch {
            throw .restoreRefused(path: target, reason: "the restored copy does not open: \(error)")
        }
        // The restored file is on disk before it replaces anything.
        DatabaseRestore.flush(restored, flags: O_RDONLY)
        DatabaseRestore.flush(scratch.path + "/new")
        Self.checkpoint(target)
        let plan = DatabaseRestore.Plan(target: (target as NSString).lastPathComponent, restored: "new/" + file.path)
        scratch.keep()
        try DatabaseRestore.commit(plan, in: scratch)
        // Ctrl-C waits for the renames: the journals aside and the copy not yet in place would be a kill's state.
        try ScratchFolders.uninterrupted { () throws(TandemError) in try DatabaseRestore.replace(plan, in: scratch) }
        result.message = "restored \(manifest.shortID) to \(target)"
        return result
    }

    /// Moves what the write-ahead log of the database at `path` holds into
    /// the database, when SQLite can (no other connection holds it): then
    /// the database alone holds every committed row while its journals are
    /// moved aside. A database that does not open is left as it is.
    private static func checkpoint(_ path: String) {
        guard FileManager.default.fileExists(atPath: path + "-wal") else { return }
        var configuration = Configuration()
        configuration.busyMode = .timeout(1)
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return }
        try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try? queue.close()
    }

    /// How old the latest backup of the database at `path` is, and how long
    /// ago the database last changed, in whole seconds; -1 when there is no
    /// backup, or no database. A restore of it killed while it replaced the
    /// database is finished first.
    public func databaseAges(of path: String, now: Date = Date()) throws(TandemError) -> (backupAge: Int, databaseAge: Int) {
        let source = URL(fileURLWithPath: path).standardizedFileURL.path
        try finishInterruptedWork()
        try DatabaseRestore.finishInterrupted(in: (source as NSString).deletingLastPathComponent)
        let backups = try snapshots().manifests.filter { $0.kind == "database" && $0.source == source }
        // A clock behind the backup's gives 0, not a negative age.
        let backupAge = backups.map(\.finished).max().map { max(0, Int((now.timeIntervalSince1970 * 1000 - Double($0)) / 1000)) } ?? -1
        let modified = ["", "-wal"].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: source + $0))?[.modificationDate] as? Date
        }.max()
        return (backupAge, modified.map { max(0, Int(now.timeIntervalSince($0))) } ?? -1)
    }

    private static func checkIntegrity(_ queue: DatabaseQueue, path: String) throws {
        // quick_check: every page and record is checked, not that indexes match
        // their tables, which costs more than the copy itself.
        let answer: [String]
        do { answer = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") } } catch {
            // A page too damaged to walk stops the check with SQLITE_CORRUPT.
            throw TandemError.io(path: path, reason: "the copy fails SQLite's check: \(error)")
        }
        guard answer == ["ok"] else {
            throw TandemError.io(path: path, reason: "the copy fails SQLite's check: \(answer.prefix(3).joined(separator: "; "))")
        }
    }

    /// Work run on its own thread, whose error is collected later.
    private final class BackgroundCheck: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var failure: TandemError?

        init(_ work: @escaping @Sendable () throws(TandemError) -> Void) {
            Thread.detachNewThread { [self] in
                do throws(TandemError) { try work() } catch { lock.withLock { failure = error } }
                done.signal()
            }
        }

        /// Waits for the work to end (at once, once it has); its error, if any.
        func outcome() -> TandemError? {
            done.wait()
            done.signal()
            return lock.withLock { failure }
        }
    }
}
