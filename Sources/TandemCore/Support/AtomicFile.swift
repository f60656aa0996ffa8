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
        var description: String { "\(path): \(reason)" }
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

    /// Reads a whole file; nil when it does not exist.
    static func read(_ url: URL) throws(Failure) -> [UInt8]? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw Failure(path: url.path, reason: errorText())
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(path: url.path, reason: errorText()) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let result = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if result < 0 {
                if errno == EINTR { continue }
                throw Failure(path: url.path, reason: errorText())
            }
            if result == 0 { break }
            filled += result
        }
        if filled < bytes.count { bytes.removeSubrange(filled...) }
        return bytes
    }

    static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
