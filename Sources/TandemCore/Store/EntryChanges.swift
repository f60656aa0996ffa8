import Foundation

/// What one committed transaction changed in a device's store: the entries
/// it wrote or removed, and then what waits.
///
/// An app's screen listens to ``DeviceStore/changes()`` (or
/// ``TandemDevice/changes()``) and reloads what it shows of these entries,
/// instead of polling: a local write, a decision, an undo, a migration and
/// each transaction of a sync that touched entries arrive once each.
public struct EntryChanges: Sendable, Equatable {
    /// The entries written or removed, each once.
    public var entries: Set<EntryName>
    /// What waits after the transaction — incoming changes, conflicts,
    /// refused and outgoing entries, changes to push — as
    /// ``DeviceStore/pendingCounts()`` reads it through the state index. The
    /// in-sync count is left at zero: reading it costs a pass over the whole
    /// store, at every change.
    public var waiting: StateCounts
}

/// The entries the store's writer touches in the transaction under way, and
/// who listens for them once it commits.
///
/// Only the store's single writer adds, takes and drops names, one
/// transaction at a time, so what it takes at a transaction's end is that
/// transaction's; a lock still guards them, because listeners come and go
/// from any thread.
final class EntryChangeFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: Set<EntryName> = []
    private var listeners: [UUID: AsyncStream<EntryChanges>.Continuation] = [:]

    /// Notes an entry the transaction under way writes or removes.
    func touched(context: String, key: String) {
        lock.withLock { _ = pending.insert(EntryName(context: context, key: key)) }
    }

    /// The transaction rolled back: what it touched did not happen.
    func discard() {
        lock.withLock { pending.removeAll() }
    }

    /// The transaction's names, emptied for the next one: taken by the
    /// writer at the end of its transaction.
    func take() -> Set<EntryName> {
        lock.withLock {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }

    /// Whether anyone listens (nobody, and no counts need reading).
    var isListened: Bool { lock.withLock { !listeners.isEmpty } }

    func publish(_ changes: EntryChanges) {
        for listener in lock.withLock({ Array(listeners.values) }) { listener.yield(changes) }
    }

    /// Ends every listener's stream, after what it was sent (the store closes).
    func finish() {
        for listener in lock.withLock({ Array(listeners.values) }) { listener.finish() }
    }

    /// A new listener; it ends when the caller stops iterating, or the store closes.
    func stream() -> AsyncStream<EntryChanges> {
        let id = UUID()
        // Unbounded: a listener that falls behind still gets every change, in order.
        let (stream, continuation) = AsyncStream.makeStream(of: EntryChanges.self, bufferingPolicy: .unbounded)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            _ = self.lock.withLock { self.listeners.removeValue(forKey: id) }
        }
        lock.withLock { listeners[id] = continuation }
        return stream
    }
}
