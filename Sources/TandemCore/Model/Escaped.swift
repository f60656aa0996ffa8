/// The one place that decides how text from user data, the vault or the
/// file system reaches a terminal. Everything Tandem prints — values, keys,
/// device names, paths, error messages, the terminal UI's cells — goes
/// through it, so no entry, file name or vault can send the terminal an
/// escape sequence or hide and reorder what a person reads.
///
/// ```swift
/// Escaped.text("a\u{1B}[2Jb\u{202E}c")   // a\e[2Jb\u{202e}c
/// Escaped.json("{\"k\":\"\u{202E}\"}")   // {"k":"\u202e"}
/// ```
public enum Escaped {
    /// Whether a terminal would act on `scalar`, or show it as nothing or as
    /// something else: C0 controls (ESC among them), DEL, C1 controls (CSI is
    /// U+009B), format characters (bidi overrides and isolates, zero-width
    /// characters, the byte order mark, the Arabic letter mark, tags) and the
    /// line and paragraph separators.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20..<0x7F: return false
        case 0x00..<0x20, 0x7F...0x9F: return true
        default:
            switch scalar.properties.generalCategory {
            case .format, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }

    /// The zero-width joiner and non-joiner, shown as they are between two
    /// visible characters outside ASCII: they join emoji (👨‍👩‍👧) and shape
    /// Persian and Indic words, and there they hide nothing. Anywhere else
    /// (`a\u{200d}b`, which looks like `ab`) they are unsafe like any other
    /// format character.
    private static func isJoinerInPlace(_ scalars: [Unicode.Scalar], _ index: Int) -> Bool {
        guard scalars[index].value == 0x200C || scalars[index].value == 0x200D, index > 0, index + 1 < scalars.count else { return false }
        func visibleBeyondASCII(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value > 0x7F && !isUnsafe(scalar) && !scalar.properties.isWhitespace
        }
        return visibleBeyondASCII(scalars[index - 1]) && visibleBeyondASCII(scalars[index + 1])
    }

    /// For each scalar of `raw`, whether it is shown escaped.
    private static func escapes(_ raw: String, keepingNewlines: Bool) -> [Bool]? {
        guard raw.unicodeScalars.contains(where: { isUnsafe($0) && !(keepingNewlines && $0 == "\n") }) else { return nil }
        let scalars = Array(raw.unicodeScalars)
        return scalars.indices.map { index in
            isUnsafe(scalars[index]) && !(keepingNewlines && scalars[index] == "\n") && !isJoinerInPlace(scalars, index)
        }
    }

    /// `raw` as one line a terminal shows as it is: every unsafe character
    /// becomes a visible escape (`\n`, `\r`, `\t`, `\e`, else `\u{hex}`).
    public static func text(_ raw: String) -> String {
        guard let escaped = escapes(raw, keepingNewlines: false), escaped.contains(true) else { return raw }
        var out = ""
        for (scalar, escape) in zip(raw.unicodeScalars, escaped) {
            guard escape else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x1B: out += "\\e"
            default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return out
    }

    /// `raw` escaped and in single quotes, for a name inside a message.
    public static func quoted(_ raw: String) -> String {
        "'" + text(raw) + "'"
    }

    /// JSON text with every unsafe character written as a JSON escape
    /// (`\uXXXX`, UTF-16), so a script reads the same value and a terminal
    /// shows nothing it would act on. Newlines are kept: outside strings they
    /// are JSON's own whitespace, and inside strings every encoder already
    /// escapes them, as it does all of C0.
    public static func json(_ text: String) -> String {
        guard let escaped = escapes(text, keepingNewlines: true), escaped.contains(true) else { return text }
        var out = ""
        for (scalar, escape) in zip(text.unicodeScalars, escaped) {
            guard escape else {
                out.unicodeScalars.append(scalar)
                continue
            }
            for unit in String(scalar).utf16 {
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out
    }
}
