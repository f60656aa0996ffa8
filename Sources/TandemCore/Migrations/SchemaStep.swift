/// One migration of a context's values: from schema `from` to schema `to`.
///
/// A step is a pure function on the JSON value: the same input gives the same
/// output on every device, which is what lets two devices that migrate the
/// same entry at the same time agree without a conflict.
///
/// ```swift
/// let step = SchemaStep(from: 1, to: 2, source: "rename name") { value in
///     try FieldOperation.rename(from: "/name", to: "/fullName").apply(to: value)
/// }
/// ```
public struct SchemaStep: Sendable {
    public typealias Transform = @Sendable (JSONValue) throws -> JSONValue

    public var from: Int
    public var to: Int
    /// Where the step comes from (a migrations file, or the app), for error messages.
    public var source: String
    public var transform: Transform

    public init(from: Int, to: Int, source: String = "the app", transform: @escaping Transform) {
        self.from = from
        self.to = to
        self.source = source
        self.transform = transform
    }

    /// A step made of declarative field operations, applied in order.
    public init(from: Int, to: Int, source: String, operations: [FieldOperation]) {
        self.init(from: from, to: to, source: source) { value in
            try operations.reduce(value) { current, operation in try operation.apply(to: current) }
        }
    }
}
