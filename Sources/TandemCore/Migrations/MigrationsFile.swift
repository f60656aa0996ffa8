import Foundation

/// The declarative migrations of one context, as `tandem migrate` reads them:
///
/// ```json
/// {
///   "context": "friends",
///   "migrations": [
///     { "from": 1, "to": 2, "operations": [
///         { "op": "rename", "from": "/name", "path": "/fullName" },
///         { "op": "default", "path": "/tags", "value": [] } ] }
///   ]
/// }
/// ```
///
/// The context's schema version becomes the highest `to`.
public struct MigrationsFile: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var operations: [FieldOperation]
    }

    public var path: String
    public var context: String
    public var steps: [Step]

    /// The schema version the file leads to.
    public var target: Int { steps.map(\.to).max() ?? 1 }

    /// Reads and checks the file; any problem is one error naming the file.
    public static func load(_ path: String) throws(TandemError) -> MigrationsFile {
        guard FileManager.default.fileExists(atPath: path) else { throw .invalidMigrationsFile(path: path, reason: "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalidMigrationsFile(path: path, reason: "cannot read it") }
        let bytes = Array(data)
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw .invalidMigrationsFile(path: path, reason: "not JSON: \(error.description)")
        }
        return try MigrationsFile(json: json, path: path)
    }

    public init(json: JSONValue, path: String) throws(TandemError) {
        func fail(_ reason: String) -> TandemError { .invalidMigrationsFile(path: path, reason: reason) }
        guard case .object(let members) = json else { throw fail("the file must hold an object") }
        guard case .string(let context)? = members.last(where: { $0.key == "context" })?.value, Validation.isValidName(context) else {
            throw fail("\"context\" must be a context name (1–64 of a–z, 0–9, '.', '_' and '-')")
        }
        guard case .array(let list)? = members.last(where: { $0.key == "migrations" })?.value, !list.isEmpty else {
            throw fail("\"migrations\" must be a non-empty array")
        }
        var steps: [Step] = []
        for (index, item) in list.enumerated() {
            let label = "migration \(index + 1)"
            guard case .object(let fields) = item else { throw fail("\(label) must be an object") }
            func version(_ name: String) throws(TandemError) -> Int {
                guard case .number(let text)? = fields.last(where: { $0.key == name })?.value, let number = Int(text), number >= 1 else {
                    throw fail("\(label): \"\(name)\" must be a whole number from 1")
                }
                return number
            }
            let from = try version("from")
            let to = try version("to")
            guard to > from else { throw fail("\(label): \"to\" (\(to)) must be greater than \"from\" (\(from))") }
            guard case .array(let operations)? = fields.last(where: { $0.key == "operations" })?.value else {
                throw fail("\(label): \"operations\" must be an array")
            }
            var parsed: [FieldOperation] = []
            for (position, operation) in operations.enumerated() {
                do {
                    parsed.append(try FieldOperation(json: operation))
                } catch {
                    throw fail("\(label), operation \(position + 1): \(error.description)")
                }
            }
            guard !steps.contains(where: { $0.from == from }) else { throw fail("two migrations start from schema \(from)") }
            steps.append(Step(from: from, to: to, operations: parsed))
        }
        steps.sort { $0.from < $1.from }
        // Every step but the last must lead to where another one starts, so
        // that any version the file mentions reaches its highest one.
        for (step, next) in zip(steps, steps.dropFirst()) where step.to != next.from {
            throw fail("migration \(step.from)→\(step.to) is followed by \(next.from)→\(next.to): the chain has a gap")
        }
        self.path = path
        self.context = context
        self.steps = steps
    }

    /// The file's steps, ready to run.
    public var schemaSteps: [SchemaStep] {
        steps.map { SchemaStep(from: $0.from, to: $0.to, source: path, operations: $0.operations) }
    }
}
