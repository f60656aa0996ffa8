/// What a device knows about the schemas of its contexts: the version each
/// context is at here, and the steps that migrate older values to it.
///
/// A context the device never declared is at schema 1.
public struct SchemaCatalog: Sendable {
    /// The schema version of each context that is not at 1.
    public var versions: [String: Int]
    /// The steps of each context, by the version they start from.
    public var steps: [String: [Int: SchemaStep]]

    public init(versions: [String: Int] = [:], steps: [String: [Int: SchemaStep]] = [:]) {
        self.versions = versions
        self.steps = steps
    }

    /// The schema version this device writes and understands for `context`.
    public func version(of context: String) -> Int {
        versions[context] ?? 1
    }

    /// Adds `step`, replacing a step of the same context from the same version.
    public mutating func add(_ step: SchemaStep, context: String) {
        steps[context, default: [:]][step.from] = step
    }

    /// The steps that take a value of `context` from schema `from` to `to`, in order.
    func chain(context: String, from: Int, to: Int) throws(MigrationFailure) -> [SchemaStep] {
        var chain: [SchemaStep] = []
        var current = from
        while current < to {
            guard let step = steps[context]?[current] else {
                throw MigrationFailure(reason: "no migration from schema \(current) to \(to)"
                    + (current == from ? "" : " (after migrating from \(from) to \(current))"))
            }
            guard step.to > current, step.to <= to else {
                throw MigrationFailure(reason: "the migration \(step.from)→\(step.to) of \(step.source) does not lead to schema \(to)")
            }
            chain.append(step)
            current = step.to
        }
        return chain
    }

    /// Migrates a canonical JSON value of `context` from schema `from` to `to`
    /// and returns the canonical result. A step that throws, or that yields
    /// text that is not valid JSON (or is too large), fails the whole migration.
    public func migrate(_ value: String, context: String, from: Int, to: Int) throws(MigrationFailure) -> String {
        var current: JSONValue
        do {
            current = try JSONParser.parse(value)
        } catch {
            throw MigrationFailure(reason: "the stored value is not JSON: \(error.description)")
        }
        for step in try chain(context: context, from: from, to: to) {
            do {
                current = try step.transform(current)
            } catch {
                throw MigrationFailure(reason: "migration \(step.from)→\(step.to) of \(step.source): \(error)")
            }
            // The result goes back through the parser: a step that builds a
            // number from arbitrary text must not reach the store or the vault.
            do {
                current = try JSONParser.parse(try Validation.canonicalValue(current.canonicalText))
            } catch {
                throw MigrationFailure(reason: "migration \(step.from)→\(step.to) of \(step.source) yields invalid JSON: \(error)")
            }
        }
        return current.canonicalText
    }
}

/// Why a value could not be migrated.
public struct MigrationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }

    public init(reason: String) {
        self.reason = reason
    }
}

extension SchemaCatalog {
    /// Migrates the value of one entry; the error names the entry.
    func migrate(_ value: String, context: String, key: String, from: Int, to: Int) throws(TandemError) -> String {
        do {
            return try migrate(value, context: context, from: from, to: to)
        } catch {
            throw .migrationFailed(context: context, key: key, reason: error.reason)
        }
    }
}
