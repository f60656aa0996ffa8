import Foundation
import TandemCore

/// What `status` and `device list` say about other devices besides their
/// rows: record files that do not open.
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
}
