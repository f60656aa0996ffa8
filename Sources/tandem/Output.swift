import Foundation
import TandemCore

/// Printing for people and for scripts. Every byte a command writes to the
/// terminal goes through here, and so through `Escaped`: text from an entry,
/// a file name or the vault can never act on the terminal.
enum Output {
    /// One line on stdout; a newline inside it is shown as `\n`.
    static func line(_ text: String) {
        print(Escaped.text(text))
    }

    /// Text of several lines on stdout (help, a banner), each escaped.
    static func lines(_ text: String) {
        print(escapedLines(text))
    }

    /// Several lines on stderr, each escaped: usage errors.
    static func usage(_ text: String) {
        FileHandle.standardError.write(Data((escapedLines(text) + "\n").utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("tandem: error: " + Escaped.text(message) + "\n").utf8))
    }

    /// A question on stderr, without a newline: the answer is read from stdin.
    static func prompt(_ question: String) {
        FileHandle.standardError.write(Data(Escaped.text(question).utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data(("tandem: warning: " + Escaped.text(message) + "\n").utf8))
    }

    static func json(_ value: JSONValue) {
        jsonText(value.prettyText())
    }

    /// JSON text, from any encoder, with unsafe characters as `\uXXXX`.
    static func jsonText(_ text: String) {
        print(Escaped.json(text))
    }

    private static func escapedLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { Escaped.text(String($0)) }.joined(separator: "\n")
    }

    /// A stored canonical value as a JSON tree (it was validated when written).
    static func value(_ text: String?) -> JSONValue {
        guard let text, let parsed = try? JSONParser.parse(text) else { return .null }
        return parsed
    }

    static func time(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func age(_ millis: Int64, now: Int64 = SystemClock().nowMillis()) -> String {
        RelativeTime.ago(millis, now: now)
    }

    static func version(_ version: EntryVersion, names: DeviceNames) -> JSONValue {
        .object([
            ("origin", .string(version.origin.rawValue)),
            ("originName", .string(names[version.origin])),
            ("time", .string(time(version.timestamp.wallMillis))),
            ("hlc", .string(version.timestamp.description)),
            ("vector", .object(version.vector.sorted.map { ($0.device.rawValue, .number(String($0.counter))) })),
            ("deleted", .bool(version.isDeletion)),
            ("value", value(version.value)),
            ("schema", .number(String(version.schema))),
        ])
    }

    static func entry(_ entry: EntryStatus, names: DeviceNames) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("context", .string(entry.context)),
            ("key", .string(entry.key)),
            ("state", .string(entry.state.rawValue)),
            ("value", value(entry.value)),
            ("local", entry.local.map { version($0, names: names) } ?? .null),
            ("vault", .array(entry.vault.map { version($0, names: names) })),
        ]
        if let kind = entry.incomingKind { members.append(("change", .string(kind.rawValue))) }
        if let newer = entry.newerSchema {
            members.append(("needsNewerApp", .object([("schema", .number(String(newer))), ("known", .number(String(entry.knownSchema)))])))
        }
        if let id = entry.changeID { members.append(("id", .string(id))) }
        return .object(members)
    }

    /// One-line form of a value for tables: escaped, cut to `width`.
    static func short(_ text: String?, width: Int = 60) -> String {
        guard let text else { return "(deleted)" }
        let escaped = Escaped.text(text)
        return escaped.count <= width ? escaped : String(escaped.prefix(width - 1)) + "…"
    }
}

/// Device names by id, from the vault's device records (ids when unknown).
struct DeviceNames {
    var names: [DeviceID: String]
    var me: DeviceID

    /// With the store alone, the records open when the vault is plain or its key is remembered.
    init(store: DeviceStore) throws {
        try self.init(device: Device(store: store))
    }

    init(device: Device) throws {
        let info = try device.store.info()
        me = info.id
        names = [info.id: info.name]
        for record in device.readableDeviceRecords() where record.id != info.id {
            names[record.id] = record.name
        }
    }

    subscript(id: DeviceID) -> String {
        names[id] ?? id.rawValue
    }

    func label(_ id: DeviceID) -> String {
        id == me ? "\(self[id]) (this device)" : self[id]
    }
}
