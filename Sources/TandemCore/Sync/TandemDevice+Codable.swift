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
