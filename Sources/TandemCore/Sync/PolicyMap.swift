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

    public subscript(context: String) -> SyncPolicy {
        contexts[context] ?? fallback
    }
}
