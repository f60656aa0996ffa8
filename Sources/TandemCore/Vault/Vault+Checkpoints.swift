#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// What one device's log folder holds, from one listing.
public struct LogListing: Sendable, Equatable {
    /// The seqs of its segments, ascending.
    public var segments: [UInt64] = []
    /// For each checkpoint seq, the part numbers present.
    public var checkpoints: [UInt64: Set<Int>] = [:]

    /// The latest checkpoint seq, present in any part.
    public var latestCheckpoint: UInt64? { checkpoints.keys.max() }
}

/// A device's checkpoints in the vault (VaultFormat, "Checkpoints").
extension Vault {
    var checkpointCodec: CheckpointCodec { CheckpointCodec(sealer: codec.sealer) }

    public func checkpointURL(device: DeviceID, seq: UInt64, part: Int) -> URL {
        logFolder(of: device).appendingPathComponent(VaultFormat.checkpointName(seq, part: part))
    }

    /// Lists `device`'s log folder once: its segments and checkpoint parts.
    public func listLog(of device: DeviceID) -> LogListing {
        var listing = LogListing()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: logFolder(of: device).path)) ?? [] {
            if let seq = VaultFormat.segmentSeq(name) {
                listing.segments.append(seq)
            } else if let (seq, part) = VaultFormat.checkpointPosition(name) {
                listing.checkpoints[seq, default: []].insert(part)
            }
        }
        listing.segments.sort()
        return listing
    }

    /// Reads part `part` of `device`'s checkpoint at `seq`; nil when it is
    /// not there (yet).
    public func readCheckpointPart(device: DeviceID, seq: UInt64, part: Int) throws(TandemError) -> CheckpointPart? {
        let url = checkpointURL(device: device, seq: seq, part: part)
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(url, limit: VaultFileLimit.segment) } catch {
            throw error.isRefusal ? .corruptCheckpoint(path: error.path, reason: error.reason) : .io(path: error.path, reason: error.reason)
        }
        guard let bytes else { return nil }
        do {
            return try checkpointCodec.decode(bytes, device: device, seq: seq, part: part)
        } catch {
            throw .corruptCheckpoint(path: url.path, reason: error.description)
        }
    }

    /// Reads a whole checkpoint, part after part, giving each to `body` as
    /// soon as it is read and checked against the first, and returns the
    /// cursor of a reader that has applied it; nil when a part is not there
    /// (yet), after the parts before it were given.
    public func readCheckpoint(device: DeviceID, seq: UInt64,
                               _ body: (CheckpointPart) throws(TandemError) -> Void) throws(TandemError) -> Cursor? {
        guard let first = try readCheckpointPart(device: device, seq: seq, part: 1) else { return nil }
        try body(first)
        if first.parts > 1 {
            for number in 2...first.parts {
                guard let part = try readCheckpointPart(device: device, seq: seq, part: number) else { return nil }
                guard part.belongs(with: first) else {
                    throw .corruptCheckpoint(path: checkpointURL(device: device, seq: seq, part: number).path,
                                             reason: "does not belong with part 1 of the same checkpoint (another header)")
                }
                try body(part)
            }
        }
        return Cursor(seq: seq, hash: first.segmentHash)
    }

    /// True when `device`'s checkpoint at `seq` is here whole and every part
    /// opens: what a device checks before it trusts one in place of segments.
    public func checkpointOpens(device: DeviceID, seq: UInt64) -> Bool {
        ((try? readCheckpoint(device: device, seq: seq) { _ in }) ?? nil) != nil
    }

    /// Places a checkpoint's parts, the last one first: a reader that finds
    /// part 1 finds every part its writer placed (it may still wait for a
    /// replica to bring the others). Never replaces a file.
    public func placeCheckpoint(_ parts: [CheckpointPart]) throws(TandemError) {
        guard let device = parts.first?.device else { return }
        let folder = logFolder(of: device)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: folder.path, reason: error.localizedDescription)
        }
        for part in parts.reversed() {
            let url = checkpointURL(device: device, seq: part.seq, part: part.part)
            let bytes: [UInt8]
            do { bytes = try checkpointCodec.encode(part) } catch { throw .io(path: url.path, reason: "cannot seal: \(error)") }
            do { try AtomicFile.write(bytes, to: url, replacing: false) } catch { throw .io(path: error.path, reason: error.reason) }
        }
    }

    /// Removes files of `device`'s own log: the given checkpoint parts, or
    /// segments. Returns the paths removed; a file already gone is no error.
    func removeLogFiles(_ urls: [URL]) throws(TandemError) -> [String] {
        var removed: [String] = []
        for url in urls {
            if unlink(url.path) == 0 {
                removed.append(url.path)
            } else if errno != ENOENT {
                throw .io(path: url.path, reason: AtomicFile.errorText())
            }
        }
        if let folder = urls.first?.deletingLastPathComponent().path { AtomicFile.syncFolder(folder) }
        return removed
    }
}
