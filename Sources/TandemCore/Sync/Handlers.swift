/// A vault version that supersedes this device's data, as a handler sees it.
public struct IncomingChange: Sendable, Equatable {
    public var context: String
    public var key: String
    public var kind: ChangeKind
    /// The new value (canonical JSON); nil for a deletion.
    public var value: String?
    /// What this device had before; nil when it had nothing.
    public var previousValue: String?
    public var version: EntryVersion
}

/// What a handler did with an incoming change.
public enum HandlerResult: Sendable, Equatable {
    /// The app applied the change to its model.
    case applied
    /// The app chose not to apply it: success, not asked again.
    case refused
    /// The app could not apply it now: the sync stops here and the next sync retries it first.
    case failure(String)
}

/// The app's three handlers for one context (policy `handlers`).
public struct ContextHandlers: Sendable {
    public typealias Handler = @Sendable (IncomingChange) async throws -> HandlerResult

    public var onInsert: Handler
    public var onModify: Handler
    public var onDelete: Handler

    public init(onInsert: @escaping Handler, onModify: @escaping Handler, onDelete: @escaping Handler) {
        self.onInsert = onInsert
        self.onModify = onModify
        self.onDelete = onDelete
    }

    func handler(for kind: ChangeKind) -> Handler {
        switch kind {
        case .insert: onInsert
        case .edit: onModify
        case .deletion: onDelete
        }
    }
}
