import Foundation

/// Migration steps an app registered in code, kept for the life of its
/// device store: closures cannot be stored in SQLite, so they live here, and
/// every transaction that migrates reads them together with the steps
/// `tandem migrate` stored.
final class RegisteredSteps: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [String: [Int: SchemaStep]] = [:]

    func add(_ step: SchemaStep, context: String) {
        lock.lock(); defer { lock.unlock() }
        steps[context, default: [:]][step.from] = step
    }

    var all: [String: [Int: SchemaStep]] {
        lock.lock(); defer { lock.unlock() }
        return steps
    }
}
