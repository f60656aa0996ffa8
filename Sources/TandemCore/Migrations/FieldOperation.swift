import Foundation

/// One declarative change to a JSON object, in the manner of JSON Patch
/// (RFC 6902): fields are named by JSON Pointers (`/address/city`).
///
/// The operations are written for migrations, where some entries may lack an
/// optional field: removing or renaming a field that is absent does nothing,
/// and `default` sets a field only where it is absent. The parent of every
/// path must be an object.
///
/// ```swift
/// let migrated = try FieldOperation.rename(from: "/name", to: "/fullName").apply(to: value)
/// ```
public enum FieldOperation: Sendable, Equatable {
    /// Sets the field, replacing what was there.
    case add(path: String, value: JSONValue)
    /// Removes the field if present.
    case remove(path: String)
    /// Moves the field to another name if present (JSON Patch's `move`).
    case rename(from: String, to: String)
    /// Sets the field only where it is absent.
    case setDefault(path: String, value: JSONValue)

    /// The operation's name in a migrations file.
    public var name: String {
        switch self {
        case .add: "add"
        case .remove: "remove"
        case .rename: "rename"
        case .setDefault: "default"
        }
    }

    public func apply(to value: JSONValue) throws(FieldOperationError) -> JSONValue {
        switch self {
        case .add(let path, let field):
            return try Self.update(value, at: try Self.pointer(path)) { _ in field }
        case .remove(let path):
            return try Self.update(value, at: try Self.pointer(path)) { _ in nil }
        case .setDefault(let path, let field):
            return try Self.update(value, at: try Self.pointer(path)) { existing in existing ?? field }
        case .rename(let from, let to):
            let source = try Self.pointer(from)
            let target = try Self.pointer(to)
            guard let moved = try Self.field(value, at: source) else { return value }
            let without = try Self.update(value, at: source) { _ in nil }
            return try Self.update(without, at: target) { _ in moved }
        }
    }

    /// The reference tokens of a JSON Pointer; the whole document ("") is not a field.
    static func pointer(_ path: String) throws(FieldOperationError) -> [String] {
        guard path.hasPrefix("/") else { throw FieldOperationError("path \(Escaped.quoted(path)) must start with '/'") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func field(_ value: JSONValue, at tokens: [String]) throws(FieldOperationError) -> JSONValue? {
        var current = value
        for (index, token) in tokens.enumerated() {
            guard case .object(let members) = current else {
                throw FieldOperationError("\(location(tokens.prefix(index))) is not an object")
            }
            guard let member = members.last(where: { $0.key == token }) else { return nil }
            current = member.value
        }
        return current
    }

    /// Rewrites the field at `tokens` with `change` (nil removes it); every
    /// parent on the way must be an object.
    private static func update(_ value: JSONValue, at tokens: [String], depth: Int = 0,
                               _ change: (JSONValue?) -> JSONValue?) throws(FieldOperationError) -> JSONValue {
        guard case .object(var members) = value else {
            throw FieldOperationError("\(location(tokens.prefix(depth))) is not an object")
        }
        let token = tokens[depth]
        let index = members.lastIndex { $0.key == token }
        let existing = index.map { members[$0].value }
        let updated: JSONValue?
        if depth == tokens.count - 1 {
            updated = change(existing)
        } else {
            guard let existing else { throw FieldOperationError("\(location(tokens.prefix(depth + 1))) does not exist") }
            updated = try update(existing, at: tokens, depth: depth + 1, change)
        }
        members.removeAll { $0.key == token }
        if let updated { members.append((token, updated)) }
        return .object(members)
    }

    private static func location(_ tokens: ArraySlice<String>) -> String {
        tokens.isEmpty ? "the value" : Escaped.quoted("/" + tokens.joined(separator: "/"))
    }
}

/// Why a field operation could not be applied to a value.
public struct FieldOperationError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
