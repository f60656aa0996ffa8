import Foundation
import Testing

/// A `tandem` process killed at a named step: the binary pauses there under
/// TANDEM_TEST_PAUSE_AT, and the test kills it, as a crash or kill -9 would.
enum KilledProcess {
    /// Runs `tandem arguments` until it pauses at `step`, then kills it with `signal`.
    static func run(_ cli: CLI, _ arguments: [String], pausingAt step: String, signal: Int32 = SIGKILL,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let marker = cli.root.appendingPathComponent("paused-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_HOME"] = cli.home.path
        environment["TANDEM_TEST_PAUSE_AT"] = step
        environment["TANDEM_TEST_PAUSE_MARKER"] = marker
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker) && Date() < deadline && process.isRunning { usleep(10_000) }
        #expect(FileManager.default.fileExists(atPath: marker), "tandem \(arguments.joined(separator: " ")) never reached \(step)",
                sourceLocation: sourceLocation)
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }
}
