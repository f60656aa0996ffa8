import Foundation
import TandemCore

/// What `status` and `device list` say about other devices besides their
/// rows: record files that do not open, and clocks too far ahead.
enum DeviceNotes {
    /// One warning on stderr per damaged record, as reading commands report
    /// damage they can read past: listing still works, so the exit stays 0.
    static func warn(_ damaged: [DamagedDeviceRecord], suffix: String = "") {
        for record in damaged { Output.warning(Escaped.text(record.description) + suffix) }
    }

    /// The damaged records as the `problems` of `--json`, shaped like `sync`'s.
    static func problems(_ damaged: [DamagedDeviceRecord]) -> JSONValue {
        .array(damaged.map { .object([("path", .string($0.path)), ("message", .string($0.description))]) })
    }

    /// "phone's clock is 972 years ahead: its times are not trusted for ordering here".
    static func clockAhead(_ ahead: ClockAhead, name: String) -> String {
        "\(Escaped.text(name))'s clock is \(duration(ahead.aheadMillis)) ahead: its times are not trusted for ordering here"
    }

    /// The clocks ahead for `--json`.
    static func json(_ clocks: [ClockAhead], names: [DeviceID: String]) -> JSONValue {
        .array(clocks.map { ahead in
            .object([("device", .string(ahead.device.rawValue)), ("name", names[ahead.device].map { .string($0) } ?? .null),
                     ("aheadMillis", .number(String(ahead.aheadMillis))), ("time", .string(Output.time(ahead.wallMillis)))])
        })
    }

    /// Whole years, else whole days (a clock is only named beyond one day).
    static func duration(_ millis: Int64) -> String {
        let days = millis / 86_400_000
        let years = Int64(Double(days) / 365.25)
        if years >= 1 { return years == 1 ? "1 year" : "\(years) years" }
        return days == 1 ? "1 day" : "\(days) days"
    }
}
