#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// A private folder for work in progress (a database's plaintext copy, a
/// restore being written), locked by its process for as long as it lives:
/// `flock` on the folder itself, which the kernel drops when the process
/// dies. So a later process can tell a folder left by a killed one (it can
/// `claim` it) from one still in use (it cannot).
final class ScratchFolder: @unchecked Sendable {
    let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Makes the folder (mode 0700, which must not exist yet) and locks it.
    /// With `removedOnSignal`, an interrupt or termination of the process
    /// removes it too (`ScratchFolders.removeInProgress`).
    static func create(at path: String, removedOnSignal: Bool) throws(TandemError) -> ScratchFolder {
        guard mkdir(path, 0o700) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        guard let folder = claim(path) else { throw .io(path: path, reason: "cannot lock the folder just made") }
        if removedOnSignal { ScratchFolders.register(path) }
        return folder
    }

    /// The folder at `path`, locked, if no live process holds it; nil when
    /// one does, or it is not a folder.
    static func claim(_ path: String) -> ScratchFolder? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return ScratchFolder(path: path, fd: fd)
    }

    /// Removes the folder and all it holds.
    func remove() {
        ScratchFolders.unregister(path)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The folder is no longer scratch (it was renamed into place): a signal
    /// must not remove it.
    func keep() {
        ScratchFolders.unregister(path)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// The scratch folders of this process that an interrupt must not leave
/// behind, and the steps it must not cut in two.
public enum ScratchFolders {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var steps = 0

    static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Runs `work` (a few renames) so that a signal waits for its end: a
    /// database restore's journals are never left aside by a Ctrl-C.
    static func uninterrupted<T>(_ work: () throws(TandemError) -> T) throws(TandemError) -> T {
        lock.withLock { steps += 1 }
        defer { lock.withLock { steps -= 1 } }
        return try work()
    }

    /// Waits for the steps that must not be cut to end, then removes every
    /// scratch folder still in use: for a process about to end on a signal
    /// (Ctrl-C, SIGTERM), which runs no `defer`.
    public static func removeInProgress() {
        while lock.withLock({ steps > 0 }) { usleep(1000) }
        for path in lock.withLock({ paths }) { try? FileManager.default.removeItem(atPath: path) }
    }
}
