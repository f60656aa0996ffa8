/// The rules for names, keys and values that the store accepts.
public enum Validation {
    /// The largest value accepted by default: 1 MiB of canonical JSON.
    public static let defaultMaxValueBytes = 1 << 20

    /// Context and device names: `[a-z0-9._-]{1,64}`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 46 || byte == 95 || byte == 45
        }
    }

    public static func contextName(_ name: String) throws(TandemError) -> String {
        guard isValidName(name) else { throw .invalidContextName(name) }
        return name
    }

    /// Keys: 1–512 bytes of UTF-8 with no control characters. Keys show up in
    /// terminals and shell pipelines, where a newline or an escape sequence would
    /// mislead the reader, so all control characters are refused, not only NUL.
    public static func key(_ key: String) throws(TandemError) -> String {
        let count = key.utf8.count
        guard count >= 1 else { throw .invalidKey(key, reason: "a key cannot be empty") }
        guard count <= 512 else { throw .invalidKey(key, reason: "\(count) bytes, at most 512 allowed") }
        // Most keys are printable ASCII; only the rest needs the Unicode tables.
        if key.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return key }
        for (index, scalar) in key.unicodeScalars.enumerated() where scalar.properties.generalCategory == .control {
            throw .invalidKey(key, reason: "control character U+\(String(scalar.value, radix: 16, uppercase: true)) at character \(index + 1)")
        }
        return key
    }

    /// Where `bytes` stop being UTF-8: the offset of the first byte of the
    /// first invalid sequence, or nil when they are all valid. Swift repairs
    /// such bytes into U+FFFD when it makes a `String`, so two different
    /// keys would become one; callers with raw bytes check them first.
    public static func invalidUTF8Offset(_ bytes: some Sequence<UInt8>) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }

    /// Bytes as text for a message: valid UTF-8 as it is (escaped where a
    /// terminal would act on it), each byte of an invalid sequence as `\xNN`.
    public static func showingInvalidUTF8(_ bytes: [UInt8]) -> String {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var shown = ""
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                shown += Escaped.text(String(decoding: encoded, as: UTF8.self))
                offset += encoded.count
            case .error(let length):
                for byte in bytes[offset..<offset + length] { shown += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16) }
                offset += length
            case .emptyInput:
                return shown
            }
        }
    }

    /// Parses `text` as JSON and returns its canonical form.
    public static func canonicalValue(_ text: String, maxBytes: Int = defaultMaxValueBytes) throws(TandemError) -> String {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw .invalidJSON(reason: error.description)
        }
        return try sizeChecked(value.canonicalText, maxBytes: maxBytes)
    }

    /// Canonical JSON text, refused when larger than a value may be.
    public static func sizeChecked(_ canonical: String, maxBytes: Int = defaultMaxValueBytes) throws(TandemError) -> String {
        guard canonical.utf8.count <= maxBytes else { throw .valueTooLarge(bytes: canonical.utf8.count, limit: maxBytes) }
        return canonical
    }
}
