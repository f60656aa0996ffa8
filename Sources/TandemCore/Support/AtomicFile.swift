#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Atomic file writes for a folder other programs may read at any moment:
/// write `.tmp-<random>` beside the target, fsync it, move it into place,
/// fsync the folder. Readers skip `.tmp-*` names.
enum AtomicFile {
    static let temporaryPrefix = ".tmp-"

    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        /// True when the file was refused for what it is (not a regular
        /// file, or too large), not for an error of the system: it is
        /// reported like a damaged file.
        var isRefusal = false
        var description: String { "\(path): \(reason)" }

        static func tooLarge(_ path: String, limit: Int) -> Failure {
            Failure(path: path, reason: "larger than the limit of \(limit) bytes for its kind of file; not read", isRefusal: true)
        }
    }

    /// Writes `bytes` at `url`. With `replacing: false` an existing file is never
    /// replaced and the write fails with `EEXIST`, so two writers can never both
    /// believe they wrote the same immutable file.
    static func write(_ bytes: [UInt8], to url: URL, replacing: Bool, mode: mode_t = 0o600) throws(Failure) {
        let folder = url.deletingLastPathComponent().path
        let target = url.path
        let temporary = folder + "/" + temporaryPrefix + String(UInt64.random(in: .min ... .max), radix: 36)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: temporary, reason: errorText()) }
        var written = 0
        let writeError: String? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errorText()
                }
                written += result
            }
            return fsync(fd) == 0 ? nil : errorText()
        }
        close(fd)
        if let writeError {
            unlink(temporary)
            throw Failure(path: target, reason: writeError)
        }
        if replacing {
            guard rename(temporary, target) == 0 else {
                let reason = errorText()
                unlink(temporary)
                throw Failure(path: target, reason: reason)
            }
        } else {
            try placeWithoutReplacing(temporary, at: target)
        }
        syncFolder(folder)
    }

    /// `link` fails when the target exists, unlike `rename`; file systems
    /// without hard links fall back to a check then a rename.
    private static func placeWithoutReplacing(_ temporary: String, at target: String) throws(Failure) {
        if link(temporary, target) == 0 {
            unlink(temporary)
            return
        }
        let linkError = errno
        if linkError == EEXIST {
            unlink(temporary)
            throw Failure(path: target, reason: "already exists")
        }
        guard linkError == EPERM || linkError == ENOTSUP || linkError == EOPNOTSUPP || linkError == EXDEV else {
            unlink(temporary)
            throw Failure(path: target, reason: String(cString: strerror(linkError)))
        }
        if access(target, F_OK) == 0 {
            unlink(temporary)
            throw Failure(path: target, reason: "already exists")
        }
        guard rename(temporary, target) == 0 else {
            let reason = errorText()
            unlink(temporary)
            throw Failure(path: target, reason: reason)
        }
    }

    static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Reads a whole regular file of at most `limit` bytes; nil when it does
    /// not exist.
    ///
    /// A vault is a folder other programs write to, so any name in it may
    /// hold a FIFO, whose `open` blocks until someone writes, or a sparse
    /// file of terabytes that takes no disk space. The file is opened without
    /// blocking, anything but a regular file is refused, and so is a file
    /// over `limit`: by its size before reading, and by reading at most
    /// `limit + 1` bytes, since it may grow meanwhile.
    static func read(_ url: URL, limit: Int) throws(Failure) -> [UInt8]? {
        guard let (fd, size) = try openRegularFile(url.path) else { return nil }
        defer { close(fd) }
        guard size <= limit else { throw .tooLarge(url.path, limit: limit) }
        // One byte more than the size tells whether the file grew.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = try fill(&bytes, from: 0, reading: fd, path: url.path)
        while filled == bytes.count && filled <= limit {
            bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - filled))
            filled = try fill(&bytes, from: filled, reading: fd, path: url.path)
        }
        guard filled <= limit else { throw .tooLarge(url.path, limit: limit) }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// The first `count` bytes of a regular file, fewer when it is shorter;
    /// nil when it does not exist. Opened as `read(_:limit:)` opens.
    static func readPrefix(_ url: URL, count: Int) throws(Failure) -> [UInt8]? {
        guard let (fd, _) = try openRegularFile(url.path) else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let filled = try fill(&bytes, from: 0, reading: fd, path: url.path)
        return Array(bytes[..<filled])
    }

    /// Reads from `fd` into `bytes` from index `start` until they are full
    /// or the file ends; returns how many of `bytes` are filled.
    private static func fill(_ bytes: inout [UInt8], from start: Int, reading fd: Int32, path: String) throws(Failure) -> Int {
        var filled = start
        while filled < bytes.count {
            let result = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if result < 0 && errno == EINTR { continue }
            if result < 0 { throw Failure(path: path, reason: errorText()) }
            if result == 0 { break }
            filled += result
        }
        return filled
    }

    /// Opens `path` for reading without blocking and returns the descriptor
    /// and the file's size; nil when nothing is there. Anything but a
    /// regular file (a FIFO, socket, device or folder) is closed and refused.
    static func openRegularFile(_ path: String) throws(Failure) -> (fd: Int32, size: Int)? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw Failure(path: path, reason: errorText())
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = errorText()
            close(fd)
            throw Failure(path: path, reason: reason)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw Failure(path: path, reason: "\(kindName(info.st_mode)), not a regular file; not read", isRefusal: true)
        }
        return (fd, Int(info.st_size))
    }

    private static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a folder"
        default: "a special file"
        }
    }

    static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
