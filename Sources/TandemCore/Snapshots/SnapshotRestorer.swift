#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Writes a snapshot's tree under a target folder, and nowhere else: every
/// path of the manifest is checked before anything is written (no `..`, no
/// absolute path, nothing beneath a symlink), files are created with
/// O_EXCL | O_NOFOLLOW in folders the restore made itself, and symlinks are
/// made last, so none can redirect a later write.
///
/// The tree is written into a folder of its own beside the target
/// (`.<name>.tandem-restore-<id>`), renamed to the target at the end: a
/// restore killed half way leaves no half-written file under its name, and
/// its folder is removed by the next restore into the same place or the next
/// start (recorded under `workRoot`). A target that is a mount point is
/// written in place.
///
/// A damaged object it meets is recorded in the vault as `device`'s finding.
struct SnapshotRestorer {
    let vault: Vault
    let device: DeviceID
    /// The device's scratch folder, where a restore in progress is recorded.
    let workRoot: String
    let concurrency: Int

    func restore(_ manifest: SnapshotManifest, to destination: String, subpath: String?,
                 progress: @escaping @Sendable (SnapshotProgress) -> Void) throws(TandemError) -> SnapshotResult {
        let nodes = try selected(manifest, subpath: subpath, target: destination)
        let objects = try vault.objects()
        // Before anything is written: a chunk in no pack has not arrived (a synced folder still copying), which is not damage.
        let needed = Set(nodes.lazy.filter { $0.kind == .file && $0.hardLink == nil }.flatMap { $0.chunks ?? [] })
        let missing = needed.filter { !objects.isListed($0) }.count
        if missing > 0 { throw .snapshotNotArrived(id: manifest.id, missing: missing, chunks: needed.count) }
        let staging = try RestoreStaging(target: destination, workRoot: workRoot)
        defer { staging.abandon() }
        let target = staging.path
        let folders = nodes.filter { $0.kind == .directory }
        let files = nodes.filter { $0.kind == .file && $0.hardLink == nil }
        // Folders are made first, writable; their own modes come last.
        for folder in folders where !folder.path.isEmpty {
            let path = target + "/" + folder.path
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        }
        let tally = SnapshotTally(filesTotal: files.count, bytesTotal: files.reduce(0) { $0 + $1.size }, report: progress)
        WorkerPool.run(count: files.count, width: concurrency) { index in
            let file = files[index]
            let path = target + "/" + file.path
            do {
                try Self.writeFile(file, at: path, objects: objects, tally: tally)
                tally.update { result, progress in
                    result.fileCount += 1
                    progress.filesDone += 1
                }
            } catch {
                // A file that could not be restored whole is not left half written.
                unlink(path)
                tally.update { result, progress in
                    result.errors.append("\(file.path) not restored: \(error)")
                    progress.filesDone += 1
                }
            }
        }
        do { try vault.recordDamage(objects.newlyFoundDamage, by: device) } catch {
            tally.update { result, _ in result.errors.append("the damage found could not be recorded: \(error.description)") }
        }
        PausePoint.reached("snapshot-restore-files-written")
        // Other names of a file, once it is whole (a file not restored has none).
        for name in nodes where name.kind == .file {
            guard let first = name.hardLink else { continue }
            let path = target + "/" + name.path
            if link(target + "/" + first, path) != 0 {
                tally.update { result, _ in result.errors.append("\(path): cannot link to \(first): \(String(cString: strerror(errno)))") }
            } else {
                tally.update { result, _ in result.fileCount += 1 }
            }
        }
        for link in nodes where link.kind == .symlink {
            let path = target + "/" + link.path
            if symlink(link.target ?? "", path) != 0 {
                tally.update { result, _ in result.errors.append("\(path): \(String(cString: strerror(errno)))") }
                continue
            }
            Self.setTime(link, path, flags: AT_SYMLINK_NOFOLLOW)
        }
        for folder in folders.reversed() {
            let path = folder.path.isEmpty ? target : target + "/" + folder.path
            chmod(path, mode_t(folder.mode))
            Self.setTime(folder, path, flags: 0)
        }
        try staging.finish()
        var result = tally.final
        result.snapshotID = manifest.id
        result.status = result.errors.isEmpty ? 0 : 1
        result.message = result.errors.isEmpty ? "restored" : "restored with \(result.errors.count) errors"
        return result
    }

    /// The nodes to restore, after checking every path of the manifest.
    private func selected(_ manifest: SnapshotManifest, subpath: String?, target: String) throws(TandemError) -> [SnapshotNode] {
        let links = Set(manifest.nodes.filter { $0.kind == .symlink }.map(\.path))
        let files = Dictionary(manifest.nodes.filter { $0.kind == .file && $0.hardLink == nil }.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for node in manifest.nodes {
            if let problem = node.pathProblem {
                throw .restoreRefused(path: vault.manifestURL(manifest.id).path, reason: "the manifest holds an unsafe path \(Escaped.quoted(node.path)) (\(problem))")
            }
            // A hard link may only name a file of the snapshot that has its own chunks.
            if let first = node.hardLink, node.kind != .file || files[first] == nil {
                throw .restoreRefused(path: vault.manifestURL(manifest.id).path,
                                      reason: "\(Escaped.quoted(node.path)) is a hard link to \(Escaped.quoted(first)), which is not a file of the snapshot")
            }
            var parent = Self.parent(of: node.path)
            while !parent.isEmpty {
                if links.contains(parent) {
                    throw .restoreRefused(path: vault.manifestURL(manifest.id).path, reason: "\(Escaped.quoted(node.path)) lies beneath a symlink")
                }
                parent = Self.parent(of: parent)
            }
        }
        guard let subpath, !subpath.isEmpty else { return manifest.nodes }
        let wanted = subpath.split(separator: "/").joined(separator: "/")
        // The folders above the wanted path come too, with their own modes and times.
        var ancestors = Set<String>()
        var parent = Self.parent(of: wanted)
        while !parent.isEmpty {
            ancestors.insert(parent)
            parent = Self.parent(of: parent)
        }
        var nodes = manifest.nodes.filter { $0.path == wanted || $0.path.hasPrefix(wanted + "/") }
        guard !nodes.isEmpty else { throw .restoreRefused(path: target, reason: "the snapshot has no path \(Escaped.quoted(wanted))") }
        // The first name restored of a file whose own name is not becomes a
        // copy of it; its other restored names link to that copy.
        let restored = Set(nodes.map(\.path))
        var copies: [String: String] = [:]
        for index in nodes.indices {
            guard let first = nodes[index].hardLink, !restored.contains(first), let file = files[first] else { continue }
            if let copy = copies[first] {
                nodes[index].hardLink = copy
                continue
            }
            var copy = file
            copy.path = nodes[index].path
            nodes[index] = copy
            copies[first] = copy.path
        }
        return manifest.nodes.filter { ancestors.contains($0.path) } + nodes
    }

    /// The folder part of a manifest path ("" at the top). Manifest paths are
    /// plain `/`-separated text; NSString's path rules are not theirs.
    static func parent(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
    }

    private static func writeFile(_ node: SnapshotNode, at path: String, objects: ObjectStore, tally: SnapshotTally) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TandemError.io(path: path, reason: String(cString: strerror(errno))) }
        var closed = false
        defer { if !closed { close(fd) } }
        var written: Int64 = 0
        for address in node.chunks ?? [] {
            let content = try objects.read(address)
            try content.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let count = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw TandemError.io(path: path, reason: String(cString: strerror(errno)))
                    }
                    offset += count
                }
            }
            written += Int64(content.count)
            tally.update { result, progress in
                result.bytesProcessed += Int64(content.count)
                result.bytesWritten += Int64(content.count)
                progress.bytesDone += Int64(content.count)
                progress.bytesWritten += Int64(content.count)
            }
        }
        guard written == node.size else {
            throw TandemError.io(path: path, reason: "restored \(written) bytes, the snapshot says \(node.size)")
        }
        fchmod(fd, mode_t(node.mode))
        closed = true
        close(fd)
        setTime(node, path, flags: 0)
    }

    private static func setTime(_ node: SnapshotNode, _ path: String, flags: Int32) {
        var times = [timespec(tv_sec: Int(node.mtime), tv_nsec: Int(node.mtimeNanos)), timespec(tv_sec: Int(node.mtime), tv_nsec: Int(node.mtimeNanos))]
        utimensat(AT_FDCWD, path, &times, flags)
    }
}
