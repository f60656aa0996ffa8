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

    /// Blocks until the lock at `path` is ours.
    public init(path: String) throws(TandemError) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .io(path: path, reason: "cannot lock: \(reason)")
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
