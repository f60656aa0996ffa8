/// One entry, by name: its context and its key.
public struct EntryName: Hashable, Sendable {
    public var context: String
    public var key: String

    public init(context: String, key: String) {
        self.context = context
        self.key = key
    }
}

extension EntryName: CustomStringConvertible {
    /// The entry as every message names it: `friends/alice`.
    public var description: String { Escaped.entry(context, key) }
}

extension Escaped {
    /// How every message names an entry: `friends/alice`, each part escaped
    /// for a terminal. A key a reader could not tell from the words around it
    /// — empty, or holding a space or a double quote — is written in double
    /// quotes, with quotes and backslashes escaped (`friends/"two words"`,
    /// `friends/""`).
    public static func entry(_ context: String, _ key: String) -> String {
        text(context) + "/" + shownKey(key)
    }

    private static func shownKey(_ key: String) -> String {
        guard key.isEmpty || key.unicodeScalars.contains(where: { $0 == "\"" || $0.properties.isWhitespace }) else { return text(key) }
        // Quotes and backslashes of the key itself are escaped first; then the
        // terminal's escapes (`\e`, `\n`), which stay single.
        var inner = ""
        for scalar in key.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { inner.unicodeScalars.append("\\") }
            inner.unicodeScalars.append(scalar)
        }
        return "\"" + text(inner) + "\""
    }
}
