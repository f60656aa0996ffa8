/// The policy of every context for one sync: stored or registered per
/// context, with a fallback for the rest.
public struct PolicyMap: Sendable, Equatable {
    public var fallback: SyncPolicy
    public var contexts: [String: SyncPolicy]

    public init(fallback: SyncPolicy = .review, contexts: [String: SyncPolicy] = [:]) {
        self.fallback = fallback
        self.contexts = contexts
    }

    /// The same policy for every context.
    public static func all(_ policy: SyncPolicy) -> PolicyMap {
        PolicyMap(fallback: policy)
    }

    /// The stored policies, for a sync a person runs (the CLI, the UI):
    /// handlers need an app's code, so their contexts wait for review.
    public static func forPerson(stored: [String: SyncPolicy]) -> PolicyMap {
        PolicyMap(contexts: stored.mapValues { $0 == .handlers ? .review : $0 })
    }

    public subscript(context: String) -> SyncPolicy {
        contexts[context] ?? fallback
    }
}
