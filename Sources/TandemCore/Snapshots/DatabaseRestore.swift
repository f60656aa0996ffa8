#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Puts a restored, checked database in place of another, in its own
/// folder `.tandem-restore-<id>/` beside it, so that a kill at any moment
/// loses nothing and leaves nothing for good.
///
/// The new copy is whole, checked and fsynced before `plan.json` is written;
/// from then on the restore only goes forward. The old database's journals
/// (`-wal`, `-shm`, `-journal`) move into the folder first (SQLite would
/// replay an old write-ahead log into the new database), then the new copy
/// is renamed over the old database, then the folder goes. A process killed
/// on the way leaves the folder, locked by no one: the next restore into
/// that folder, a backup or `db age` of a database in it, or the next start
/// of the device, runs the same steps again from where they stopped
/// (`finishOrRemove`).
/// A folder without a plan was killed before anything moved: it is removed.
///
/// Before any of that, the old database's write-ahead log is checkpointed
/// into it when SQLite can (the app closed, as `--force` asks): then the
/// old database alone holds every committed row, even in the moment when
/// its journals are aside.
enum DatabaseRestore {
    static let folderPrefix = ".tandem-restore-"
    static let journals = ["-wal", "-shm", "-journal"]

    /// What a restore replaces: names, in the target's folder and in the
    /// restore's own folder.
    struct Plan: Codable {
        var target: String
        var restored: String
    }

    /// Records the plan: the new copy at `plan.restored` is ready.
    static func commit(_ plan: Plan, in scratch: ScratchFolder) throws(TandemError) {
        let data: Data
        do { data = try JSONEncoder().encode(plan) } catch { throw .io(path: scratch.path, reason: "cannot encode the plan: \(error)") }
        do { try AtomicFile.write(Array(data), to: URL(fileURLWithPath: scratch.path + "/plan.json"), replacing: false) } catch {
            throw .io(path: error.path, reason: error.reason)
        }
    }

    /// Moves the old database's journals aside, renames the new copy over
    /// it, and removes the restore's folder. When the rename fails, the
    /// journals come back and the plan is withdrawn.
    static func replace(_ plan: Plan, in scratch: ScratchFolder) throws(TandemError) {
        let folder = (scratch.path as NSString).deletingLastPathComponent
        let target = folder + "/" + plan.target
        let restored = scratch.path + "/" + plan.restored
        var renames = 0
        // Once the new copy is in place, the journals beside it are its own.
        if FileManager.default.fileExists(atPath: restored) {
            var moved: [(from: String, to: String)] = []
            for suffix in journals where FileManager.default.fileExists(atPath: target + suffix) {
                renames += 1
                PausePoint.reached("db-restore-rename-\(renames)")
                // A name of its own: a rerun may find an earlier run's journals here already.
                let aside = scratch.path + "/old" + suffix + "-" + Digest.randomHex(bytes: 4)
                guard rename(target + suffix, aside) == 0 else {
                    let reason = String(cString: strerror(errno))
                    putBack(moved)
                    throw .io(path: target + suffix, reason: "cannot move the old database's journal aside: \(reason)")
                }
                moved.append((target + suffix, aside))
            }
            renames += 1
            PausePoint.reached("db-restore-rename-\(renames)")
            guard rename(restored, target) == 0 else {
                let reason = String(cString: strerror(errno))
                putBack(moved)
                unlink(scratch.path + "/plan.json")
                throw .io(path: target, reason: reason)
            }
        }
        flush(folder)
        scratch.remove()
    }

    /// Finishes a restore killed after its plan, or removes one killed before.
    static func finishOrRemove(_ scratch: ScratchFolder) throws(TandemError) {
        guard let data = FileManager.default.contents(atPath: scratch.path + "/plan.json"),
              let plan = try? JSONDecoder().decode(Plan.self, from: data) else {
            return scratch.remove()
        }
        try replace(plan, in: scratch)
    }

    /// Every restore folder in `folder` that no live process holds, finished
    /// or removed.
    static func finishInterrupted(in folder: String) throws(TandemError) {
        for name in SnapshotService.names(in: folder) where name.hasPrefix(folderPrefix) {
            if let scratch = ScratchFolder.claim(folder + "/" + name) { try finishOrRemove(scratch) }
        }
    }

    private static func putBack(_ moved: [(from: String, to: String)]) {
        for move in moved.reversed() { rename(move.to, move.from) }
    }

    /// fsync of a file or folder, best effort.
    static func flush(_ path: String, flags: Int32 = O_RDONLY | O_DIRECTORY) {
        let fd = open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
