import ArgumentParser
import Foundation
import TandemCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a vault, encrypted with a passphrase, and print its recovery phrase once.",
        discussion: """
            The passphrase is asked twice in the terminal, or read from --passphrase-file FILE or \
            $TANDEM_PASSPHRASE. The 24-word recovery phrase printed at the end opens the vault if the \
            passphrase is lost; it is shown only this once and stored nowhere.

            Example: tandem init --vault /mnt/usb/tandem --owner alice@example.com
            """)

    @Option(help: ArgumentHelp("Folder to create the vault in (may exist, must hold no vault).", valueName: "PATH"))
    var vault: String

    @Option(help: ArgumentHelp("Whose data this vault holds; devices and restores of another owner are refused.", valueName: "ID"))
    var owner: String

    @Option(help: ArgumentHelp("aes-256-gcm (default), or none: checksums only, for a vault only you can read and write.", valueName: "METHOD"))
    var encryption = AESGCMSealer.name

    @Option(help: ArgumentHelp("scrypt cost as log2(N), \(ScryptParameters.acceptedLogN.lowerBound)–\(ScryptParameters.acceptedLogN.upperBound) (default \(ScryptParameters.defaultLogN): about 128 MiB and half a second per try).", valueName: "N"))
    var scryptLogN = ScryptParameters.defaultLogN

    @Option(name: .long, help: ArgumentHelp("Read the new passphrase from the first line of FILE.", valueName: "FILE"))
    var passphraseFile: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard [AESGCMSealer.name, "none"].contains(encryption) else { throw ValidationError("--encryption is aes-256-gcm or none") }
        guard ScryptParameters.acceptedLogN.contains(scryptLogN) else {
            throw ValidationError("--scrypt-log-n must be within \(ScryptParameters.acceptedLogN)")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: vault)
        let protection: VaultProtection
        if encryption == "none" {
            protection = .none
        } else {
            let passphrase = try Credentials().newPassphrase(file: passphraseFile, fileOption: "--passphrase-file", variable: "TANDEM_PASSPHRASE")
            protection = .passphrase(passphrase, ScryptParameters(logN: scryptLogN))
        }
        let created = try Vault.create(at: url, owner: owner, protection: protection)
        let descriptor = created.descriptor
        let path = url.standardizedFileURL.path
        if output.json {
            var members: [(key: String, value: JSONValue)] = [
                ("vault", .string(path)), ("id", .string(descriptor.id)), ("owner", .string(descriptor.owner)),
                ("format", .number(String(descriptor.format))), ("encryption", .string(descriptor.sealing)),
            ]
            if let phrase = created.recoveryPhrase { members.append(("recoveryPhrase", .string(phrase.joined(separator: " ")))) }
            Output.json(.object(members))
            return
        }
        Output.line("created vault \(descriptor.id) at \(path) (owner \(Escaped.text(owner)), format \(descriptor.format), \(descriptor.isEncrypted ? "encrypted with AES-256-GCM" : "NOT encrypted"))")
        if let phrase = created.recoveryPhrase {
            Output.line("")
            Output.line("Recovery phrase — write it down and keep it apart from the vault. It opens the vault if the")
            Output.line("passphrase is lost, and it is shown only now:")
            Output.line("")
            for row in stride(from: 0, to: phrase.count, by: 6) {
                Output.line("  " + (row..<min(row + 6, phrase.count)).map { pad((($0 < 9) ? " " : "") + "\($0 + 1). \(phrase[$0])", 14) }.joined())
            }
            Output.line("")
        }
        Output.line("next: tandem device create NAME --vault \(path)")
    }
}
