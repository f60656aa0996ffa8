import Foundation
import GRDB

/// What the store keeps for checkpoints: where this device's latest one
/// stands, and which versions of its log are still worth folding.
extension DeviceStore {
    /// This device's latest checkpoint: the seq it covers and when it was placed.
    public struct OwnCheckpoint: Sendable, Equatable {
        public var seq: UInt64
        public var placedMillis: Int64
        /// True once the files it covers were removed.
        public var cleared: Bool
    }

    /// This device's latest checkpoint; nil before its first (and after it
    /// became a new device: the old identity's checkpoint is not its own).
    public func ownCheckpoint() throws(TandemError) -> OwnCheckpoint? {
        try read { db in
            guard let text = try StoreMeta.get(db, .checkpoint) else { return nil }
            let parts = text.split(separator: " ")
            guard parts.count == 4, let seq = UInt64(parts[1]), let millis = Int64(parts[2]), parts[3] == "0" || parts[3] == "1" else {
                throw StoreMeta.Damaged(key: .checkpoint, value: text, expected: "a checkpoint position")
            }
            guard String(parts[0]) == (try self.info(db)).id.rawValue else { return nil }
            return OwnCheckpoint(seq: seq, placedMillis: millis, cleared: parts[3] == "1")
        }
    }

    func recordOwnCheckpoint(_ checkpoint: OwnCheckpoint) throws(TandemError) {
        try writeTransaction { db in
            let id = try self.info(db).id
            try StoreMeta.set(db, .checkpoint, "\(id.rawValue) \(checkpoint.seq) \(checkpoint.placedMillis) \(checkpoint.cleared ? 1 : 0)")
        }
    }

    /// The changes whose version no version in the vault view supersedes:
    /// what a checkpoint keeps of the log it folds. A left-out version has
    /// been seen by one that another log carries, which every reader gets.
    func unsuperseded(_ changes: [LoggedChange]) throws(TandemError) -> [LoggedChange] {
        try read { db in
            var kept: [LoggedChange] = []
            for start in stride(from: 0, to: changes.count, by: 4096) {
                let chunk = Array(changes[start..<min(start + 4096, changes.count)])
                let batch = try RecordBatch(db, store: self, changes: chunk, schemas: try self.schemaVersions(db))
                for change in chunk {
                    let frontier = batch.record(context: change.context, key: change.key).views.frontier.versions
                    let superseded = frontier.contains { $0.vector != change.version.vector && $0.vector.includes(change.version.vector) }
                    if !superseded { kept.append(change) }
                }
            }
            return kept
        }
    }
}
