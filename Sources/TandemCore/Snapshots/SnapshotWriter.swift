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
    let vault: Vault
    let source: String
    let isSingleFile: Bool
    let concurrency: Int

    func write(_ tree: inout FileTree, parent: [String: SnapshotNode], progress: @escaping @Sendable (SnapshotProgress) -> Void) -> SnapshotResult {
        let files = tree.nodes.indices.filter { tree.nodes[$0].kind == .file }
        let total = files.reduce(Int64(0)) { $0 + tree.nodes[$1].size }
        let tally = SnapshotTally(filesTotal: files.count, bytesTotal: total, report: progress)
        tally.update { result, _ in
            result.skippedSpecial = tree.skippedSpecial
            result.errors = tree.errors
        }
        let nodes = tree.nodes
        let chunkLists = ChunkLists(count: nodes.count)
        let vault = vault, source = source, isSingleFile = isSingleFile
        WorkerPool.run(count: files.count, width: concurrency) { position in
            let index = files[position]
            let node = nodes[index]
            if let old = parent[node.path], node.isUnchanged(from: old) {
                chunkLists.set(index, old.chunks ?? [])
                tally.update { result, progress in
                    result.fileCount += 1
                    result.filesUnchanged += 1
                    result.chunksReused += old.chunks?.count ?? 0
                    progress.filesDone += 1
                    progress.bytesDone += node.size
                }
                return
            }
            let path = isSingleFile ? source : source + "/" + node.path
            do {
                let chunks = try Self.store(path, sizeHint: Int(node.size), vault: vault, tally: tally)
                chunkLists.set(index, chunks)
                tally.update { result, progress in
                    result.fileCount += 1
                    progress.filesDone += 1
                }
            } catch {
                tally.update { result, progress in
                    result.errors.append("\(path): \(error)")
                    progress.filesDone += 1
                }
            }
        }
        // A file that could not be read is left out, not recorded empty.
        var kept: [SnapshotNode] = []
        for (index, node) in nodes.enumerated() {
            guard node.kind == .file else { kept.append(node); continue }
            guard let chunks = chunkLists.get(index) else { continue }
            var file = node
            file.chunks = chunks
            kept.append(file)
        }
        tree.nodes = kept
        return tally.final
    }

    /// Reads, cuts and stores one file; returns its chunk addresses. While
    /// the file is read and cut, up to three of its chunks are hashed,
    /// compressed, sealed and written at once: a large file alone (a
    /// database) then uses more than one core.
    private static func store(_ path: String, sizeHint: Int, vault: Vault, tally: SnapshotTally) throws -> [String] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ChunkerError(errno: errno) }
        defer { close(fd) }
        let stored = StoredChunks()
        let inFlight = DispatchSemaphore(value: 3)
        let group = DispatchGroup()
        var count = 0
        do {
            try Chunker().forEachChunk(of: fd, sizeHint: sizeHint) { chunk in
                let index = count
                count += 1
                inFlight.wait()
                group.enter()
                DispatchQueue.global().async {
                    defer { inFlight.signal(); group.leave() }
                    do {
                        let object = try vault.storeObject(chunk)
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
            throw error
        }
        group.wait()
        return try stored.addresses(count)
    }
}

/// The addresses of one file's chunks, stored out of order by several threads.
private final class StoredChunks: @unchecked Sendable {
    private let lock = NSLock()
    private var byIndex: [Int: String] = [:]
    private var failure: (any Error)?

    func set(_ index: Int, _ address: String) { lock.withLock { byIndex[index] = address } }
    func fail(_ error: any Error) { lock.withLock { failure = failure ?? error } }

    func addresses(_ count: Int) throws -> [String] {
        try lock.withLock {
            if let failure { throw failure }
            return (0..<count).map { byIndex[$0]! }
        }
    }
}

/// The chunk list of each node, filled by several workers.
private final class ChunkLists: @unchecked Sendable {
    private let lock = NSLock()
    private var lists: [[String]?]

    init(count: Int) { lists = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ chunks: [String]) { lock.withLock { lists[index] = chunks } }
    func get(_ index: Int) -> [String]? { lock.withLock { lists[index] } }
}
