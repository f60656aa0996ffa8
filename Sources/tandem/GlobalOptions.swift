import ArgumentParser
import Foundation
import Logging
import TandemCore

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Folder of this machine's device stores (default: $TANDEM_HOME, else the XDG data dir).", valueName: "DIR"))
    var home: String?

    @Option(name: .long, help: ArgumentHelp("The device to act as (default: the only one, else the one used last).", valueName: "NAME"))
    var device: String?

    @Flag(name: .long, help: "Log what sync does to stderr (never values or keys' data).")
    var verbose = false

    var deviceHome: DeviceHome {
        DeviceHome(root: home.map { URL(fileURLWithPath: $0) } ?? DeviceHome.defaultRoot())
    }

    func openStore() throws -> DeviceStore {
        Logging.setUp(verbose: verbose)
        return try deviceHome.open(device)
    }

    func logger() -> Logger {
        Logging.setUp(verbose: verbose)
        return Logger(label: "tandem.sync")
    }
}

/// `--json` for commands that report.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false
}

enum Logging {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            // Without --verbose the command itself reports every problem, once.
            handler.logLevel = verboseFlag.value ? .debug : .critical
            return handler
        }
    }()

    private final class Flag: @unchecked Sendable { var value = false }
    private static let verboseFlag = Flag()

    static func setUp(verbose: Bool) {
        verboseFlag.value = verbose
        _ = once
    }
}
