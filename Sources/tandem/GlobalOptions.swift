import ArgumentParser
import Foundation
import Logging
// TandemCore has a LogEvent too (a line of the store's log); here it is a log handler's.
import struct Logging.LogEvent
import TandemCore

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Folder of this machine's device stores (default: $TANDEM_HOME, else the XDG data dir).", valueName: "DIR"))
    var home: String?

    @Option(name: .long, help: ArgumentHelp("The device to act as (default: the only one, else the one used last).", valueName: "NAME"),
            completion: .custom { words, _, _ in Self.deviceNames(words) })
    var device: String?

    @Flag(name: .long, help: "Log what sync does to stderr (never values, passphrases or keys).")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp("Read an encrypted vault's passphrase from the first line of FILE (else $TANDEM_PASSPHRASE, else it is asked in the terminal).", valueName: "FILE"))
    var passphraseFile: String?

    /// The devices of the home the command line names (else the default one), for shell completion.
    /// The shell passes the words as typed: `--home=DIR` and a leading `~` are the command line's to read.
    @Sendable static func deviceNames(_ words: [String]) -> [String] {
        var home: String?
        for (index, word) in words.enumerated() {
            if word == "--home", index + 1 < words.count { home = words[index + 1] }
            if word.hasPrefix("--home=") { home = String(word.dropFirst("--home=".count)) }
        }
        if let typed = home, typed == "~" || typed.hasPrefix("~/") {
            home = FileManager.default.homeDirectoryForCurrentUser.path + typed.dropFirst()
        }
        return DeviceHome(root: home.map { URL(fileURLWithPath: $0) } ?? DeviceHome.defaultRoot()).deviceNames()
    }

    var credentials: Credentials { Credentials(passphraseFile: passphraseFile) }

    var deviceHome: DeviceHome {
        DeviceHome(root: home.map { URL(fileURLWithPath: $0) } ?? DeviceHome.defaultRoot())
    }

    /// Opens the device's store. A command that only reads says so: a store
    /// that cannot be written then opens read-only, where any other command
    /// is refused as read-only before it touches anything.
    /// Opens the device a command acts on.
    func openDevice(for use: StoreUse = .writing) throws -> Device {
        Logging.setUp(verbose: verbose)
        let device = try deviceHome.open(self.device, for: use)
        // A killed backup's plaintext copy, or a killed restore, must not wait
        // for the next backup; a store that cannot be written cannot clean up.
        if !device.store.isReadOnly {
            do { try device.snapshots.finishInterruptedWork() } catch { Output.warning(error.description) }
        }
        return device
    }

    /// The store of the device a command acts on, for what needs no vault.
    func openStore(for use: StoreUse = .writing) throws -> DeviceStore {
        try openDevice(for: use).store
    }

    /// The device, with the vault key asked for when it is needed and not known.
    func openUnlockedDevice(for use: StoreUse = .writing) throws -> Device {
        let device = try openDevice(for: use)
        try unlock(device)
        return device
    }

    func unlock(_ device: Device) throws {
        guard try device.needsVaultKey() else { return }
        let info = try device.store.info()
        guard Vault(root: URL(fileURLWithPath: info.vaultPath)).isReachable else { return }
        try credentials.withCredential(for: info.vaultPath) { try device.unlock($0, remember: false) }
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
            var handler = EscapedLogHandler(StreamLogHandler.standardError(label: label))
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

/// Log lines reach the terminal too: their message and metadata (paths,
/// contexts, keys) are escaped like everything else a command prints.
struct EscapedLogHandler: LogHandler {
    private var inner: StreamLogHandler

    init(_ inner: StreamLogHandler) {
        self.inner = inner
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(Escaped.text(event.message.description))"
        event.metadata = event.metadata?.mapValues { .string(Escaped.text($0.description)) }
        inner.log(event: event)
    }
}
