#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Puts the files of a scanned tree into the vault as chunks: files
/// unchanged since the parent snapshot (size, mtime, inode) take the parent's
/// chunk list unread; the others are read, cut, and only the chunks the
/// vault lacks are written.
struct SnapshotWriter {
    let objects: ObjectStore
    let source: String
    let isSingleFile: Bool
    let concurrency: Int

    /// Returns the result, and the vault's error when the snapshot cannot be
    /// completed (then no manifest may be written).
    func write(_ tree: inout FileTree, parent: [String: SnapshotNode],
               progress: @escaping @Sendable (SnapshotProgress) -> Void) -> (SnapshotResult, TandemError?) {
        // Another name of a file already listed is not read again.
        let files = tree.nodes.indices.filter { tree.nodes[$0].kind == .file && tree.nodes[$0].hardLink == nil }
        let total = files.reduce(Int64(0)) { $0 + tree.nodes[$1].size }
        let tally = SnapshotTally(filesTotal: files.count, bytesTotal: total, report: progress)
        tally.update { result, _ in
            result.skippedSpecial = tree.skippedSpecial
            result.errors = tree.errors
        }
        let nodes = tree.nodes
        let stored = StoredFiles(count: nodes.count)
        // Chunks being hashed, compressed, sealed and written, across every
        // file read at once: each holds up to three copies of a chunk of up to
        // 4 MiB, so memory is bounded by this and the pack being filled, not
        // by how many files are read at once (three per file was up to 15).
        let inFlight = DispatchSemaphore(value: max(2, ProcessInfo.processInfo.activeProcessorCount))
        let objects = objects, source = source, isSingleFile = isSingleFile
        WorkerPool.run(count: files.count, width: concurrency) { position in
            let index = files[position]
            let node = nodes[index]
            // An unchanged file takes the parent's chunks, if they are all still
            // there (touched, for prune) and none is recorded damaged; otherwise
            // it is read again.
            if let old = parent[node.path], node.isUnchanged(from: old), let chunks = old.chunks, chunks.allSatisfy(objects.touch) {
                stored.set(index, node, chunks)
                tally.update { result, progress in
                    result.fileCount += 1
                    result.filesUnchanged += 1
                    result.chunksReused += chunks.count
                    progress.filesDone += 1
                    progress.bytesDone += node.size
                }
                return
            }
            let path = isSingleFile ? source : source + "/" + node.path
            do throws(TandemError) {
                if let (file, chunks) = try Self.read(path, node: node, objects: objects, tally: tally, inFlight: inFlight) { stored.set(index, file, chunks) }
            } catch {
                // The vault failed (full, unwritable): the snapshot cannot be complete.
                stored.fail(error)
            }
            tally.update { _, progress in progress.filesDone += 1 }
        }
        if let failure = stored.failure { return (tally.final, failure) }
        // A file that could not be read is left out, not recorded empty.
        var complete = nodes
        var keptFiles = Set<String>()
        var replaced = Set<String>()
        for (index, node) in nodes.enumerated() where node.kind == .file && node.hardLink == nil {
            guard let (file, chunks) = stored.get(index) else { continue }
            complete[index] = file
            complete[index].chunks = chunks
            keptFiles.insert(node.path)
            if file.inode != node.inode { replaced.insert(node.path) }
        }
        // Another name of a file that was left out, or replaced after the scan
        // (an atomic save), is read on its own rather than lost or misrecorded.
        for (index, node) in nodes.enumerated() {
            guard let first = node.hardLink, !keptFiles.contains(first) || replaced.contains(first) else { continue }
            var alone = node
            alone.hardLink = nil
            do throws(TandemError) {
                guard let (file, chunks) = try Self.read(source + "/" + node.path, node: alone, objects: objects, tally: tally, inFlight: inFlight) else { continue }
                complete[index] = file
                complete[index].chunks = chunks
                keptFiles.insert(node.path)
            } catch {
                return (tally.final, error)
            }
        }
        var kept: [SnapshotNode] = []
        for node in complete {
            guard node.kind == .file else { kept.append(node); continue }
            // A name still linked here names a file kept as the scan saw it; one
            // read on its own and failed is left out, with its error above.
            if let first = node.hardLink {
                if keptFiles.contains(first) && !replaced.contains(first) { kept.append(node) }
            } else if keptFiles.contains(node.path) {
                kept.append(node)
            }
        }
        tree.nodes = kept
        return (tally.final, nil)
    }

    /// Reads and stores one file, counted in the result; nil when it cannot
    /// be read (the result's errors say why and it is left out). Throws the
    /// vault's errors only.
    private static func read(_ path: String, node: SnapshotNode, objects: ObjectStore,
                             tally: SnapshotTally, inFlight: DispatchSemaphore) throws(TandemError) -> (SnapshotNode, [String])? {
        do {
            let (file, chunks, warning) = try store(path, node: node, objects: objects, tally: tally, inFlight: inFlight)
            tally.update { result, _ in
                result.fileCount += 1
                if let warning { result.errors.append(warning) }
            }
            return (file, chunks)
        } catch let error as TandemError {
            throw error
        } catch {
            tally.update { result, _ in result.errors.append("\(path): cannot read: \(error); left out of the snapshot") }
            return nil
        }
    }

    /// Reads, cuts and stores one file; returns what was read (its status
    /// when opened, its size as read), its chunk addresses, and a warning when
    /// it changed while it was read. While the file is read and cut, its
    /// chunks are hashed, compressed, sealed and written on other threads, as
    /// many at once as `inFlight` allows across all files: a large file alone
    /// (a database) then uses every core.
    private static func store(_ path: String, node: SnapshotNode, objects: ObjectStore,
                              tally: SnapshotTally, inFlight: DispatchSemaphore) throws -> (SnapshotNode, [String], String?) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ChunkerError(errno: errno) }
        defer { close(fd) }
        guard let opened = FileStatus(descriptor: fd) else { throw ChunkerError(errno: errno) }
        let stored = StoredChunks()
        let group = DispatchGroup()
        var count = 0
        var read = 0
        do {
            read = try Chunker().forEachChunk(of: fd, sizeHint: Int(opened.size)) { chunk in
                // After a failed write, the rest of the file is not worth sealing.
                if let failure = stored.failure { throw failure }
                let index = count
                count += 1
                inFlight.wait()
                group.enter()
                DispatchQueue.global().async {
                    defer { inFlight.signal(); group.leave() }
                    do throws(TandemError) {
                        let object = try objects.store(chunk)
                        stored.set(index, object.address)
                        tally.update { result, progress in
                            result.bytesProcessed += Int64(chunk.count)
                            result.bytesWritten += Int64(object.written)
                            if object.written > 0 { result.chunksWritten += 1 } else { result.chunksReused += 1 }
                            progress.bytesDone += Int64(chunk.count)
                            progress.bytesWritten += Int64(object.written)
                        }
                    } catch {
                        stored.fail(error)
                    }
                }
            }
        } catch {
            group.wait()
            throw stored.failure ?? error
        }
        group.wait()
        let chunks = try stored.addresses(count)
        // What is recorded is what was read: the status when the file was opened, the size read.
        var file = node
        (file.mode, file.mtime, file.mtimeNanos, file.inode) = (opened.mode, opened.mtime, opened.mtimeNanos, opened.inode)
        (file.ctime, file.ctimeNanos, file.size) = (opened.ctime, opened.ctimeNanos, Int64(read))
        var warning: String?
        if let after = FileStatus(descriptor: fd), after.size != read || after.mtime != opened.mtime || after.mtimeNanos != opened.mtimeNanos {
            // Its ctime is cleared, so the next snapshot reads it again.
            file.ctime = nil
            warning = "\(path): changed while it was read; the snapshot holds the \(read) bytes read"
        }
        return (file, chunks, warning)
    }
}

/// What each file became, filled by several workers; the first vault error.
private final class StoredFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var files: [(SnapshotNode, [String])?]
    private var firstFailure: TandemError?

    init(count: Int) { files = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ node: SnapshotNode, _ chunks: [String]) { lock.withLock { files[index] = (node, chunks) } }
    func get(_ index: Int) -> (SnapshotNode, [String])? { lock.withLock { files[index] } }
    func fail(_ error: TandemError) { lock.withLock { firstFailure = firstFailure ?? error } }
    var failure: TandemError? { lock.withLock { firstFailure } }
}

/// The addresses of one file's chunks, stored out of order by several threads.
private final class StoredChunks: @unchecked Sendable {
    private let lock = NSLock()
    private var byIndex: [Int: String] = [:]
    private var firstFailure: TandemError?

    func set(_ index: Int, _ address: String) { lock.withLock { byIndex[index] = address } }
    func fail(_ error: TandemError) { lock.withLock { firstFailure = firstFailure ?? error } }
    var failure: TandemError? { lock.withLock { firstFailure } }

    func addresses(_ count: Int) throws(TandemError) -> [String] {
        if let failure { throw failure }
        return lock.withLock { (0..<count).map { byIndex[$0]! } }
    }
}
