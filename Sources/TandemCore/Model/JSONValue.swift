/// A parsed JSON value. Numbers keep the text they were written with, so no
/// value loses precision on its way through Tandem.
public indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.canonicalText == rhs.canonicalText
    }

    /// Whether this is JSON's null, without writing either side out as `==` does.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalText)
    }

    /// The canonical text: object keys sorted by their UTF-8 bytes, no
    /// insignificant whitespace, strings escaped minimally.
    public var canonicalText: String {
        var out = ""
        writeCanonical(into: &out)
        return out
    }

    /// Indented text for people, keys sorted as in the canonical form.
    public func prettyText(indent: String = "  ") -> String {
        var out = ""
        writePretty(into: &out, level: 0, indent: indent)
        return out
    }

    private func writeCanonical(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): JSONValue.writeQuoted(text, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.writeCanonical(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in JSONValue.sortedMembers(members).enumerated() {
                if index > 0 { out += "," }
                JSONValue.writeQuoted(member.key, into: &out)
                out += ":"
                member.value.writeCanonical(into: &out)
            }
            out += "}"
        }
    }

    private func writePretty(into out: inout String, level: Int, indent: String) {
        let pad = String(repeating: indent, count: level + 1)
        let closing = String(repeating: indent, count: level)
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                item.writePretty(into: &out, level: level + 1, indent: indent)
                out += index < items.count - 1 ? ",\n" : "\n"
            }
            out += closing + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let sorted = JSONValue.sortedMembers(members)
            for (index, member) in sorted.enumerated() {
                out += pad
                JSONValue.writeQuoted(member.key, into: &out)
                out += ": "
                member.value.writePretty(into: &out, level: level + 1, indent: indent)
                out += index < sorted.count - 1 ? ",\n" : "\n"
            }
            out += closing + "}"
        default:
            writeCanonical(into: &out)
        }
    }

    /// Members sorted by key bytes; for a repeated key the last one wins, as in
    /// most parsers.
    static func sortedMembers(_ members: [(key: String, value: JSONValue)]) -> [(key: String, value: JSONValue)] {
        var last: [String: Int] = [:]
        for (index, member) in members.enumerated() { last[member.key] = index }
        return members.enumerated()
            .filter { last[$0.element.key] == $0.offset }
            .map(\.element)
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    /// `text` quoted as JSON. What needs escaping is ASCII, so the bytes are
    /// scanned and the runs between escapes copied whole: values are mostly
    /// one long run, and an import writes 100,000 of them (scalar by scalar,
    /// a 1 KiB value cost more than the rest of its write).
    static func writeQuoted(_ text: String, into out: inout String) {
        out += "\""
        var bytesOf = text
        let escaped = bytesOf.withUTF8 { bytes -> Bool in
            var run = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte == 0x22 || byte == 0x5C || byte < 0x20 else { continue }
                if run < index { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[run..<index]), as: UTF8.self) }
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0x08: out += "\\b"
                case 0x0C: out += "\\f"
                default:
                    let hex = String(byte, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                run = index + 1
            }
            if run > 0, run < bytes.count { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[run...]), as: UTF8.self) }
            return run > 0
        }
        if !escaped { out += text }
        out += "\""
    }
}
