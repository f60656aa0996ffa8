/// One entry, by name: its context and its key.
public struct EntryName: Hashable, Sendable {
    public var context: String
    public var key: String

    public init(context: String, key: String) {
        self.context = context
        self.key = key
    }
}
