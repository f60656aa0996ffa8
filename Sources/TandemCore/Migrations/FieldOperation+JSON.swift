extension FieldOperation {
    /// Reads one operation of a migrations file:
    /// `{"op": "add", "path": "/tags", "value": []}`, `{"op": "remove", "path": "/legacy"}`,
    /// `{"op": "rename", "from": "/name", "path": "/fullName"}`, `{"op": "default", "path": "/age", "value": 0}`.
    public init(json: JSONValue) throws(FieldOperationError) {
        guard case .object(let members) = json else { throw FieldOperationError("an operation must be an object") }
        func member(_ name: String) -> JSONValue? { members.last { $0.key == name }?.value }
        func text(_ name: String) throws(FieldOperationError) -> String {
            guard case .string(let value)? = member(name) else { throw FieldOperationError("\(Escaped.quoted(name)) must be a string") }
            _ = try FieldOperation.pointer(value)
            return value
        }
        func value() throws(FieldOperationError) -> JSONValue {
            guard let value = member("value") else { throw FieldOperationError("\(Escaped.quoted("value")) is missing") }
            return value
        }
        guard case .string(let op)? = member("op") else { throw FieldOperationError("\(Escaped.quoted("op")) must be a string") }
        switch op {
        case "add": self = .add(path: try text("path"), value: try value())
        case "remove": self = .remove(path: try text("path"))
        case "rename": self = .rename(from: try text("from"), to: try text("path"))
        case "default": self = .setDefault(path: try text("path"), value: try value())
        default: throw FieldOperationError("unknown op \(Escaped.quoted(op)) (use add, remove, rename or default)")
        }
    }

    /// The operation as it is written in a migrations file.
    public var json: JSONValue {
        switch self {
        case .add(let path, let value), .setDefault(let path, let value):
            .object([("op", .string(name)), ("path", .string(path)), ("value", value)])
        case .remove(let path):
            .object([("op", .string(name)), ("path", .string(path))])
        case .rename(let from, let to):
            .object([("op", .string(name)), ("from", .string(from)), ("path", .string(to))])
        }
    }
}
