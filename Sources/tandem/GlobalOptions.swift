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

    @Flag(name: .long, help: "Log what sync does to stderr (never values, passphrases or keys).")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp("Read an encrypted vault's passphrase from the first line of FILE (else $TANDEM_PASSPHRASE, else it is asked in the terminal).", valueName: "FILE"))
    var passphraseFile: String?

    var credentials: Credentials { Credentials(passphraseFile: passphraseFile) }

    var deviceHome: DeviceHome {
        DeviceHome(root: home.map { URL(fileURLWithPath: $0) } ?? DeviceHome.defaultRoot())
    }

    func openStore() throws -> DeviceStore {
        Logging.setUp(verbose: verbose)
        let store = try deviceHome.open(device)
        // A killed backup's plaintext copy, or a killed restore, must not wait for the next backup.
        do { try store.finishInterruptedWork() } catch { Output.warning(error.description) }
        return store
    }

    /// Opens the store, and unlocks its vault for this process when syncing
    /// will need the key: the vault is encrypted, reachable, and its key is not
    /// remembered here.
    func openUnlockedStore() throws -> DeviceStore {
        let store = try openStore()
        try unlock(store)
        return store
    }

    func unlock(_ store: DeviceStore) throws {
        guard try store.needsVaultKey() else { return }
        let info = try store.info()
        guard Vault(root: URL(fileURLWithPath: info.vaultPath)).isReachable else { return }
        try credentials.withCredential(for: info.vaultPath) { try store.unlock($0, remember: false) }
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
