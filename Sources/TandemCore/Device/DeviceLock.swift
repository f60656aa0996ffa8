#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An exclusive lock on one device, held while it syncs, so that two
/// processes (the UI and a CLI command, say) never use the same seq twice.
///
/// `flock` locks belong to an open file description, so two locks taken in
/// one process exclude each other as well; the kernel drops the lock when a
/// process dies.
public final class DeviceLock: @unchecked Sendable {
    private let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    /// Waits until the lock at `path` is ours without blocking a thread:
    /// async code shares a few threads, and one process may sync the same
    /// device from two tasks (the UI and the demo's background).
    public static func acquire(path: String) async throws(TandemError) -> DeviceLock {
        let fd = try openLockFile(path)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw failure(fd, path) }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                close(fd)
                throw .io(path: path, reason: "cancelled while waiting for the device's lock")
            }
        }
        return DeviceLock(fd: fd)
    }

    /// The lock at `path` if it is free now; nil when another holds it.
    public static func take(path: String) throws(TandemError) -> DeviceLock? {
        let fd = try openLockFile(path)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw failure(fd, path) }
            close(fd)
            return nil
        }
        return DeviceLock(fd: fd)
    }

    private static func openLockFile(_ path: String) throws(TandemError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        return fd
    }

    private static func failure(_ fd: Int32, _ path: String) -> TandemError {
        let reason = String(cString: strerror(errno))
        close(fd)
        return .io(path: path, reason: "cannot lock: \(reason)")
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
