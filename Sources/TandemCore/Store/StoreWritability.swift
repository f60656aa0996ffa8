import Foundation

/// What a caller will do with a device store. A store that cannot be written
/// (on a read-only mount, or without write permission on the file or its
/// folder) opens for `.reading` only; for `.writing` it is refused as
/// read-only, before anything is touched.
public enum StoreUse: Sendable {
    case reading, writing
}

/// Whether this process can write a store: SQLite needs the file, its folder
/// (for the write-ahead log, its index and the device's lock) and the log's
/// files when they are there.
enum StoreWritability {
    /// Why the store at `path` cannot be written, or nil when it can.
    static func problem(at path: String) -> String? {
        let needed: [(path: String, what: String, always: Bool)] = [
            (path, "the file", true), ((path as NSString).deletingLastPathComponent, "its folder", true),
            (path + "-wal", "its write-ahead log", false), (path + "-shm", "its write-ahead log's index", false),
        ]
        for file in needed where file.always || access(file.path, F_OK) == 0 {
            // The effective user's rights, as a write would meet them: root
            // passes unless the file system or an immutable flag says no.
            guard faccessat(AT_FDCWD, file.path, W_OK, AT_EACCESS) != 0 else { continue }
            switch errno {
            case EROFS: return "it is on a read-only file system"
            case EACCES: return "no permission to write \(file.what)"
            case EPERM: return "\(file.what) is immutable"
            default: return "\(file.what) cannot be written: \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }

    /// The location SQLite opens a store at that cannot be written. With no
    /// write-ahead log beside it, the file alone is the whole store, but
    /// SQLite would still create the log's index, which it cannot here:
    /// `immutable` tells it no one changes the file meanwhile, as no one
    /// here can, for the short while a reading command runs. A log left by a process that did not close the
    /// store holds committed writes, so SQLite opens both as they are.
    static func readOnlyLocation(of path: String) -> String {
        let log = try? FileManager.default.attributesOfItem(atPath: path + "-wal")
        if let size = log?[.size] as? Int, size > 0 { return path }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?immutable=1"
    }
}
