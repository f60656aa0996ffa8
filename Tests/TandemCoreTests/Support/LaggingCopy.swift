#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Two replicas of a vault folder, kept apart until a test delivers one's
/// changes to the other, as a synced folder does when it lags: new and
/// changed files are copied whole with their modification time (as
/// Syncthing keeps it), and files removed since the last delivery are
/// removed. Unlike Syncthing, a removal wins over a change made meanwhile
/// on the other side, the harsher case, which Dropbox or an rsync job can give.
final class LaggingCopy {
    let a: URL
    let b: URL
    /// What each side held at its last delivery (size and modification
    /// time of each file): only what changed since is delivered, and a file
    /// gone since was removed there.
    private var seen: [URL: [String: Stamp]] = [:]

    private struct Stamp: Equatable {
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    init(_ a: URL, _ b: URL) {
        self.a = a
        self.b = b
        seen[a] = files(a)
        seen[b] = files(b)
    }

    /// Delivers what `from` changed since its last delivery to `to`.
    func deliver(from source: URL, to target: URL) throws {
        let now = files(source)
        let before = seen[source] ?? [:]
        var arrived = seen[target] ?? [:]
        for (path, stamp) in now.sorted(by: { $0.key < $1.key }) where before[path] != stamp {
            let from = source.appendingPathComponent(path), to = target.appendingPathComponent(path)
            guard let status = Self.status(from.path) else { continue }
            try FileManager.default.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = to.deletingLastPathComponent().appendingPathComponent(".syncing-" + UUID().uuidString)
            try FileManager.default.copyItem(at: from, to: temporary)
            var times = [status.st_atim, status.st_mtim]
            guard utimensat(AT_FDCWD, temporary.path, &times, 0) == 0, rename(temporary.path, to.path) == 0 else {
                throw CocoaError(.fileWriteUnknown)
            }
            arrived[path] = stamp
        }
        for path in Set(before.keys).subtracting(now.keys) {
            unlink(target.appendingPathComponent(path).path)
            arrived[path] = nil
        }
        seen[source] = now
        // What arrived counts as seen there; what the target changed itself is still its own to deliver.
        seen[target] = arrived
    }

    /// Every regular file under `root`, relative, without writes in progress.
    private func files(_ root: URL) -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        for path in FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? [] {
            let name = (path as NSString).lastPathComponent
            guard !name.hasPrefix(".tmp-"), !name.hasPrefix(".syncing-"), let status = Self.status(root.appendingPathComponent(path).path),
                  status.st_mode & S_IFMT == S_IFREG else { continue }
            result[path] = Stamp(size: Int64(status.st_size), seconds: status.st_mtim.tv_sec, nanoseconds: status.st_mtim.tv_nsec)
        }
        return result
    }

    private static func status(_ path: String) -> stat? {
        var status = stat()
        return stat(path, &status) == 0 ? status : nil
    }
}
