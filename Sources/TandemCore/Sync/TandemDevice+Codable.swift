import Foundation

/// Values as Swift types: any `Codable` value is stored as its canonical
/// JSON (keys sorted, no spaces), the same bytes the string API stores, so
/// devices that use either read each other's entries.
///
/// ```swift
/// struct Friend: Codable { var name: String; var age: Int }
/// try await device.upsert("friends", key: "alice", value: Friend(name: "Alice", age: 30))
/// let alice = try await device.entry("friends", key: "alice", as: Friend.self)
/// ```
extension TandemDevice {
    /// Writes `value`, encoded as JSON, as the overload that takes JSON text writes it.
    /// A `String` argument is taken as JSON text by that overload; wrap text
    /// to store it as a JSON string (`value: ["text": text]`, or encode it first).
    @discardableResult
    public func upsert<Value: Encodable>(_ context: String, key: String, value: Value) throws(TandemError) -> DeviceStore.WriteOutcome {
        try upsert(context, key: key, value: try Self.json(value))
    }

    /// This device's value of the entry decoded as `type`; nil when the
    /// entry is absent or deleted here. A value that does not decode as
    /// `type` throws `invalidJSON`, naming the entry and why.
    public func entry<Value: Decodable>(_ context: String, key: String, as type: Value.Type) throws(TandemError) -> Value? {
        guard let text = try entry(context, key: key)?.value else { return nil }
        do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
            throw .invalidJSON(reason: "\(Escaped.entry(context, key)) does not decode as \(type): \(error)")
        }
    }

    /// `value` as JSON text, keys sorted.
    static func json<Value: Encodable>(_ value: Value) throws(TandemError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
            throw .invalidJSON(reason: "cannot encode \(Value.self) as JSON: \(error)")
        }
    }
}

/// An incoming change with its values decoded as the app's own type, as a
/// typed handler sees it (``TandemDevice/addSyncContext(_:as:onInsert:onModify:onDelete:)``).
public struct Change<Value: Decodable & Sendable>: Sendable {
    public var context: String
    public var key: String
    public var kind: ChangeKind
    /// The new value; nil for a deletion.
    public var value: Value?
    /// What this device had before, decoded; nil when it had nothing, had
    /// deleted it, or held something that does not decode as `Value` (an
    /// older shape, say: ``previousJSON`` has its text).
    public var previousValue: Value?
    /// What this device had before, as JSON text.
    public var previousJSON: String?
    /// The vault version that brings the change.
    public var version: EntryVersion

    /// Decodes `change`'s values; a new value that does not decode as
    /// `Value` throws `invalidJSON`, naming the entry. What this device had
    /// before never blocks the change: left nil when it does not decode.
    public init(_ change: IncomingChange) throws(TandemError) {
        context = change.context
        key = change.key
        kind = change.kind
        version = change.version
        value = try Self.decode(change.value, change)
        previousJSON = change.previousValue
        previousValue = try? Self.decode(change.previousValue, change)
    }

    private static func decode(_ text: String?, _ change: IncomingChange) throws(TandemError) -> Value? {
        guard let text else { return nil }
        do { return try JSONDecoder().decode(Value.self, from: Data(text.utf8)) } catch {
            throw .invalidJSON(reason: "\(Escaped.entry(change.context, change.key)) does not decode as \(Value.self): \(error)")
        }
    }
}

extension TandemDevice {
    /// Registers a context whose incoming changes reach the app's handlers
    /// as its own type. A value that does not decode is a handler failure:
    /// the sync stops at that change, says why, and retries it first next time.
    ///
    /// ```swift
    /// try await device.addSyncContext("friends",
    ///     onInsert: { (change: Change<Friend>) in model.add(change.value!); return .applied },
    ///     onModify: { change in model.update(change.key, change.value!); return .applied },
    ///     onDelete: { change in model.remove(change.key); return .applied })
    /// ```
    public func addSyncContext<Value: Decodable & Sendable>(
        _ name: String,
        as type: Value.Type = Value.self,
        onInsert: @escaping @Sendable (Change<Value>) async throws -> HandlerResult,
        onModify: @escaping @Sendable (Change<Value>) async throws -> HandlerResult,
        onDelete: @escaping @Sendable (Change<Value>) async throws -> HandlerResult
    ) throws(TandemError) {
        func typed(_ handler: @escaping @Sendable (Change<Value>) async throws -> HandlerResult) -> ContextHandlers.Handler {
            { change in
                let decoded: Change<Value>
                do throws(TandemError) { decoded = try Change<Value>(change) } catch { return .failure(error.description) }
                return try await handler(decoded)
            }
        }
        try addSyncContext(name, onInsert: typed(onInsert), onModify: typed(onModify), onDelete: typed(onDelete))
    }

    /// Every committed change to this device's entries — local writes,
    /// decisions, syncs — with what then waits (``DeviceStore/changes()``).
    public nonisolated func changes() -> AsyncStream<EntryChanges> {
        store.changes()
    }
}
