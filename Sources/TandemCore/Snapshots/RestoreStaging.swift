#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Where a restore writes until it is done: a locked folder beside the
/// target, renamed to it at the end (over a new name or an empty folder),
/// or the target itself when it is a mount point (a rename cannot cross
/// file systems) or an empty folder whose parent this user cannot write in.
struct RestoreStaging {
    let target: String
    /// Where the tree is written.
    let path: String
    private let scratch: ScratchFolder?
    private let record: String?

    static let infix = ".tandem-restore-"

    /// Checks that `target` is new or an empty folder (a restore never
    /// replaces a file), removes the folders earlier restores into it left
    /// when they were killed, and makes the folder to write in.
    init(target: String, workRoot: String) throws(TandemError) {
        self.target = target
        let parent = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: target, isDirectory: &isFolder)
        if exists {
            guard isFolder.boolValue else { throw .restoreRefused(path: target, reason: "exists and is not a folder") }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
            guard contents.isEmpty else { throw .restoreRefused(path: target, reason: "is not empty; restore into a new or empty folder") }
        }
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: parent, reason: error.localizedDescription)
        }
        for leftover in SnapshotService.names(in: parent) where leftover.hasPrefix("." + name + Self.infix) {
            ScratchFolder.claim(parent + "/" + leftover)?.remove()
        }
        if exists && (Self.isMountPoint(target, parent: parent) || access(parent, W_OK) != 0) {
            (path, scratch, record) = (target, nil, nil)
            return
        }
        let folder = try ScratchFolder.create(at: parent + "/." + name + Self.infix + SnapshotService.newSnapshotID(), removedOnSignal: true)
        scratch = folder
        path = folder.path
        do throws(TandemError) {
            guard mkdir(workRoot, 0o700) == 0 || errno == EEXIST else { throw TandemError.io(path: workRoot, reason: String(cString: strerror(errno))) }
            let record = workRoot + "/restore-" + SnapshotService.newSnapshotID()
            guard symlink(folder.path, record) == 0 else { throw TandemError.io(path: record, reason: String(cString: strerror(errno))) }
            ScratchFolders.register(record)
            self.record = record
        } catch {
            folder.remove()
            throw error
        }
    }

    /// Puts the restored tree at the target.
    func finish() throws(TandemError) {
        guard let scratch else { return }
        guard rename(scratch.path, target) == 0 else {
            let reason = errno == ENOTEMPTY || errno == EEXIST ? "something was put there during the restore" : String(cString: strerror(errno))
            throw .restoreRefused(path: target, reason: "cannot move the restored tree into place: \(reason)")
        }
        scratch.keep()
        DatabaseRestore.flush((target as NSString).deletingLastPathComponent)
    }

    /// Removes what is left of an unfinished restore, and the record.
    func abandon() {
        if let record {
            ScratchFolders.unregister(record)
            unlink(record)
        }
        guard let scratch, FileManager.default.fileExists(atPath: scratch.path) else { return }
        scratch.remove()
    }

    private static func isMountPoint(_ target: String, parent: String) -> Bool {
        var own = stat(), above = stat()
        guard stat(target, &own) == 0, stat(parent, &above) == 0 else { return false }
        return own.st_dev != above.st_dev
    }
}
