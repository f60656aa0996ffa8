#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB

/// SQLite databases, backed up while their app keeps writing (DESIGN §7).
extension DeviceStore {
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
        guard FileManager.default.fileExists(atPath: source) else { throw .io(path: source, reason: "no database here") }
        let scratch = try scratchFolder("backup")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let copy = scratch + "/" + (source as NSString).lastPathComponent
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
    /// `path` is never half written.
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
        if FileManager.default.fileExists(atPath: target), !force {
            throw .restoreRefused(path: target, reason: "exists; pass --force to replace it")
        }
        let folder = (target as NSString).deletingLastPathComponent
        let scratch = folder + "/.tandem-restore-" + Self.newSnapshotID()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var result = try SnapshotRestorer(vault: vault, device: try info().id, concurrency: 1).restore(manifest, to: scratch, subpath: nil, progress: { _ in })
        guard result.errors.isEmpty else { throw .restoreRefused(path: target, reason: result.errors.joined(separator: "; ")) }
        let restored = scratch + "/" + file.path
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
        Self.flush(restored, flags: O_RDONLY)
        // A write-ahead log left by the old database would be replayed into
        // the new one: it is moved aside first, and back if the rename fails.
        let journals = ["-wal", "-shm", "-journal"].filter { FileManager.default.fileExists(atPath: target + $0) }
        for suffix in journals { rename(target + suffix, scratch + "/old" + suffix) }
        guard rename(restored, target) == 0 else {
            let reason = String(cString: strerror(errno))
            for suffix in journals { rename(scratch + "/old" + suffix, target + suffix) }
            throw .io(path: target, reason: reason)
        }
        Self.flush(folder, flags: O_RDONLY | O_DIRECTORY)
        result.message = "restored \(manifest.shortID) to \(target)"
        return result
    }

    /// How old the latest backup of the database at `path` is, and how long
    /// ago the database last changed, in whole seconds; -1 when there is no
    /// backup, or no database.
    public func databaseAges(of path: String, now: Date = Date()) throws(TandemError) -> (backupAge: Int, databaseAge: Int) {
        let source = URL(fileURLWithPath: path).standardizedFileURL.path
        let backups = try snapshots().manifests.filter { $0.kind == "database" && $0.source == source }
        // A clock behind the backup's gives 0, not a negative age.
        let backupAge = backups.map(\.finished).max().map { max(0, Int((now.timeIntervalSince1970 * 1000 - Double($0)) / 1000)) } ?? -1
        let modified = ["", "-wal"].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: source + $0))?[.modificationDate] as? Date
        }.max()
        return (backupAge, modified.map { max(0, Int(now.timeIntervalSince($0))) } ?? -1)
    }

    /// fsync of a file or folder, best effort.
    private static func flush(_ path: String, flags: Int32) {
        let fd = Glibc.open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        Glibc.close(fd)
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

    /// A private folder beside the store, for a copy that must not be seen.
    private func scratchFolder(_ purpose: String) throws(TandemError) -> String {
        let folder = (path as NSString).deletingLastPathComponent + "/.\(purpose)-" + Self.newSnapshotID()
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: folder, reason: error.localizedDescription)
        }
        return folder
    }
}
