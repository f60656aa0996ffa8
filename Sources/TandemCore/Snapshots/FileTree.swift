#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Reads a folder tree as snapshot nodes (metadata only), without following
/// symlinks. Sockets, FIFOs and devices are skipped and counted.
struct FileTree {
    var nodes: [SnapshotNode] = []
    var skippedSpecial = 0
    var errors: [String] = []
    /// The first path seen of each file with more than one name, by device and inode.
    private var firstNames: [FileIdentity: String] = [:]

    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// The tree under `root`, sorted by path. A root that is a single file
    /// gives one node named by the file.
    static func scan(_ root: String) throws(TandemError) -> FileTree {
        var tree = FileTree()
        guard let top = FileStatus(root) else { throw .io(path: root, reason: String(cString: strerror(errno))) }
        switch top.kind {
        case .directory: tree.walk(root: root, relative: "", status: top)
        case .file: tree.nodes.append(top.node(path: (root as NSString).lastPathComponent))
        default: throw .io(path: root, reason: "not a folder or a regular file")
        }
        tree.nodes.sort { $0.path < $1.path }
        return tree
    }

    private mutating func walk(root: String, relative: String, status: FileStatus) {
        nodes.append(status.node(path: relative))
        let folder = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            errors.append("\(folder): cannot list: \(error.localizedDescription)")
            return
        }
        for name in names.sorted() {
            let path = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + path
            guard let child = FileStatus(full) else {
                // Foundation lists a name that is not UTF-8 with U+FFFD in it, a name that does not exist.
                let reason = errno == ENOENT && name.contains("\u{FFFD}")
                    ? "its name is not UTF-8 (shown with \u{FFFD}); left out of the snapshot" : String(cString: strerror(errno))
                errors.append("\(Escaped.text(full)): \(reason)")
                continue
            }
            switch child.kind {
            case .directory: walk(root: root, relative: path, status: child)
            case .file:
                var node = child.node(path: path)
                if child.links > 1 {
                    let identity = FileIdentity(device: child.device, inode: child.inode)
                    if let first = firstNames[identity] { node.hardLink = first } else { firstNames[identity] = path }
                }
                nodes.append(node)
            case .symlink:
                var node = child.node(path: path)
                node.target = FileStatus.linkTarget(full)
                nodes.append(node)
            case nil: skippedSpecial += 1
            }
        }
    }
}

/// `lstat` of one path.
struct FileStatus {
    var kind: SnapshotNode.Kind?
    var mode: UInt32
    var size: Int64
    var mtime: Int64
    var mtimeNanos: Int64
    var inode: UInt64
    var ctime: Int64
    var ctimeNanos: Int64
    var device: UInt64
    var links: UInt64

    init?(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The status of an open file, read after it was opened.
    init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    private init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .file
        case S_IFLNK: kind = .symlink
        default: kind = nil
        }
        mode = UInt32(info.st_mode & 0o7777)
        size = Int64(info.st_size)
        mtime = Int64(info.st_mtim.tv_sec)
        mtimeNanos = Int64(info.st_mtim.tv_nsec)
        inode = UInt64(info.st_ino)
        ctime = Int64(info.st_ctim.tv_sec)
        ctimeNanos = Int64(info.st_ctim.tv_nsec)
        device = UInt64(info.st_dev)
        links = UInt64(info.st_nlink)
    }

    func node(path: String) -> SnapshotNode {
        SnapshotNode(path: path, kind: kind ?? .file, mode: mode, mtime: mtime, mtimeNanos: mtimeNanos,
                     size: kind == .file ? size : 0, inode: inode, ctime: ctime, ctimeNanos: ctimeNanos, chunks: nil, target: nil)
    }

    static func linkTarget(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return "" }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
