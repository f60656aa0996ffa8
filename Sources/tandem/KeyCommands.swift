import ArgumentParser
import Foundation
import TandemCore

/// Options to open an encrypted vault with its recovery phrase instead of its passphrase.
struct RecoveryOptions: ParsableArguments {
    @Flag(help: "Open the vault with its recovery phrase (asked in the terminal, or $TANDEM_RECOVERY_PHRASE) instead of the passphrase.")
    var recovery = false

    @Option(help: ArgumentHelp("Read the recovery phrase from the first line of FILE.", valueName: "FILE"))
    var recoveryPhraseFile: String?

    func credentials(_ global: GlobalOptions) -> Credentials {
        Credentials(passphraseFile: global.passphraseFile, recoveryPhraseFile: recoveryPhraseFile, useRecoveryPhrase: recovery)
    }
}

struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Remember the vault key on this device, so commands stop asking for the passphrase.",
        discussion: """
            The key is kept in the device's store (mode 0600, like an ssh key): anyone who can read that \
            file can open the vault. 'tandem lock' forgets it.

            Example: tandem unlock --device laptop
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var recovery: RecoveryOptions

    func run() throws {
        let device = try global.openDevice()
        let info = try device.store.info()
        try recovery.credentials(global).withCredential(for: info.vaultPath) { try device.unlock($0, remember: true) }
        Output.line("the key of the vault at \(info.vaultPath) is remembered on \(info.name); 'tandem lock' forgets it")
    }
}

struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Forget the vault key remembered on this device; later syncs ask for the passphrase.",
        discussion: "Example: tandem lock --device laptop")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let device = try global.openDevice()
        let name = try device.store.info().name
        Output.line(try device.lock() ? "\(name) no longer remembers the vault key" : "\(name) did not remember the vault key; nothing changed")
    }
}

struct PassphraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passphrase",
        abstract: "Change the vault's passphrase.",
        subcommands: [Change.self])

    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wrap the vault key under a new passphrase; no data is rewritten, every device keeps working.",
            discussion: """
                The vault key itself does not change: whoever knew the old passphrase, or kept an old copy of \
                vault.json, or has a device that remembers the key, can still open the vault. To shut someone \
                out, make a new vault and move the devices to it.

                Asks for the current passphrase (or, with --recovery, the recovery phrase), then the new one \
                twice; or reads them from --passphrase-file and --new-passphrase-file, or $TANDEM_PASSPHRASE \
                and $TANDEM_NEW_PASSPHRASE.

                Example: tandem passphrase change --vault /mnt/usb/tandem
                """)

        @Option(help: ArgumentHelp("The vault (default: the vault of the device).", valueName: "PATH"))
        var vault: String?

        @Option(help: ArgumentHelp("Read the new passphrase from the first line of FILE.", valueName: "FILE"))
        var newPassphraseFile: String?

        @Option(help: ArgumentHelp("scrypt cost of the new wrapping as log2(N) (default \(ScryptParameters.defaultLogN)).", valueName: "N"))
        var scryptLogN = ScryptParameters.defaultLogN

        @OptionGroup var global: GlobalOptions
        @OptionGroup var recovery: RecoveryOptions

        func validate() throws {
            guard ScryptParameters.acceptedLogN.contains(scryptLogN) else {
                throw ValidationError("--scrypt-log-n must be within \(ScryptParameters.acceptedLogN)")
            }
        }

        func run() throws {
            let path = try vault ?? global.openStore(for: .reading).info().vaultPath
            let target = Vault(root: URL(fileURLWithPath: path))
            let descriptor = try target.readDescriptor()
            guard descriptor.isEncrypted else { throw TandemError.vaultNotEncrypted(path: target.root.path) }
            // The current credential is checked before the new passphrase is asked for.
            var used: VaultCredential?
            try recovery.credentials(global).withCredential(for: target.root.path) { credential in
                _ = try target.unlocked(descriptor, with: credential)
                used = credential
            }
            let passphrase = try Credentials().newPassphrase(file: newPassphraseFile, fileOption: "--new-passphrase-file", variable: "TANDEM_NEW_PASSPHRASE")
            guard let used else { throw TandemError.vaultLocked(path: target.root.path) }
            try target.changePassphrase(using: used, to: passphrase, parameters: ScryptParameters(logN: scryptLogN))
            Output.line("the passphrase of the vault at \(target.root.path) is changed; the recovery phrase and every device still work")
            if descriptor.format < VaultFormat.keyFilesSince {
                Output.error("note: this vault (format \(descriptor.format)) keeps its passphrase in vault.json, so a change made at the same time "
                             + "on another copy of a synced folder would undo this one; 'tandem compact --upgrade' moves it into a key file of its own")
            }
        }
    }
}
