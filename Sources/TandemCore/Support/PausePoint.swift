#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// A hook for the crash tests: with `TANDEM_TEST_PAUSE_AT=<step>` and
/// `TANDEM_TEST_PAUSE_MARKER=<path>` in the environment, a process that
/// reaches the named step creates the marker file and waits there until it
/// is killed, so a test can kill it at exactly that moment. Without them it
/// does nothing.
enum PausePoint {
    private static let step = ProcessInfo.processInfo.environment["TANDEM_TEST_PAUSE_AT"]
    private static let marker = ProcessInfo.processInfo.environment["TANDEM_TEST_PAUSE_MARKER"]

    static func reached(_ name: String) {
        guard let step, step == name, let marker else { return }
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
        while true { sleep(60) }
    }
}
