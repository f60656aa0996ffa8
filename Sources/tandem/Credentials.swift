#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import ArgumentParser
import Foundation
import TandemCore

/// Where a passphrase or recovery phrase comes from. Never a plain
/// command-line argument, which other users see in `ps` and the shell keeps
/// in its history: a file, an environment variable, or the terminal with
/// echo off.
struct Credentials {
    var passphraseFile: String?
    var recoveryPhraseFile: String?
    /// Ask for the recovery phrase instead of the passphrase.
    var useRecoveryPhrase = false
    var environment = ProcessInfo.processInfo.environment

    /// How many times a person at the terminal may retype a wrong passphrase.
    static let attempts = 3

    /// The credential of the vault at `vaultPath`, as the person gave it.
    func credential(for vaultPath: String) throws -> VaultCredential {
        if let recoveryPhraseFile { return .recoveryPhrase(try Self.firstLine(of: recoveryPhraseFile)) }
        if useRecoveryPhrase {
            if let phrase = environment["TANDEM_RECOVERY_PHRASE"], !phrase.isEmpty { return .recoveryPhrase(phrase) }
            return .recoveryPhrase(try Terminal.ask("Recovery phrase (24 words) of the vault at \(vaultPath): ", echo: false,
                                                    otherwise: "--recovery-phrase-file FILE or TANDEM_RECOVERY_PHRASE"))
        }
        if let passphraseFile { return .passphrase(try Self.firstLine(of: passphraseFile)) }
        if let passphrase = environment["TANDEM_PASSPHRASE"], !passphrase.isEmpty { return .passphrase(passphrase) }
        return .passphrase(try Terminal.ask("Passphrase of the vault at \(vaultPath): ", echo: false, otherwise: "--passphrase-file FILE or TANDEM_PASSPHRASE"))
    }

    /// True when a wrong answer can be asked again (it came from the terminal).
    var isInteractive: Bool {
        recoveryPhraseFile == nil && passphraseFile == nil
            && (useRecoveryPhrase ? environment["TANDEM_RECOVERY_PHRASE"] : environment["TANDEM_PASSPHRASE"]).map(\.isEmpty) ?? true
    }

    /// Runs `body` with the credential, asking again (up to three times in
    /// all) when the person typed a wrong one at the terminal.
    func withCredential<T>(for vaultPath: String, _ body: (VaultCredential) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try body(try credential(for: vaultPath))
            } catch let error as TandemError {
                switch error {
                case .wrongPassphrase, .wrongRecoveryPhrase:
                    guard isInteractive, attempt < Self.attempts else { throw error }
                    Output.error(error.description)
                    attempt += 1
                default:
                    throw error
                }
            }
        }
    }

    /// A new passphrase: from `file`, else `TANDEM_NEW_PASSPHRASE` (for
    /// `passphrase change`) or `TANDEM_PASSPHRASE` (for `init`), else typed
    /// twice in the terminal.
    func newPassphrase(file: String?, fileOption: String, variable: String) throws -> String {
        if let file { return try Self.firstLine(of: file) }
        if let value = environment[variable], !value.isEmpty { return value }
        let otherwise = "\(fileOption) FILE or \(variable)"
        let first = try Terminal.ask("New passphrase: ", echo: false, otherwise: otherwise)
        let second = try Terminal.ask("Repeat it: ", echo: false, otherwise: otherwise)
        guard first == second else { throw CredentialError(message: "the two passphrases differ; nothing changed") }
        return first
    }

    /// The first line of `path`, without its line break: the form `echo` and
    /// editors leave, so a passphrase file works however it was written.
    static func firstLine(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(message: "\(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CredentialError(message: "\(path): not UTF-8 text") }
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !trimmed.isEmpty else { throw CredentialError(message: "\(path): the first line is empty") }
        return trimmed
    }
}

struct CredentialError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Questions asked on the controlling terminal (`/dev/tty`), so they work
/// when standard input and output are redirected, and fail clearly when
/// there is no terminal at all.
enum Terminal {
    /// Asks `prompt`; `otherwise` names the options that give the answer
    /// without a terminal.
    static func ask(_ prompt: String, echo: Bool, otherwise: String) throws -> String {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw CredentialError(message: "the vault is encrypted and there is no terminal to ask for its passphrase: use \(otherwise)")
        }
        defer { close(fd) }
        // The prompt names the vault's path, which may hold anything.
        _ = Escaped.text(prompt).withCString { write(fd, $0, strlen($0)) }
        var saved = termios()
        let hasTermios = tcgetattr(fd, &saved) == 0
        if hasTermios, !echo {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            EchoGuard.arm(fd: fd, saved: saved)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if hasTermios, !echo {
                tcsetattr(fd, TCSAFLUSH, &saved)
                EchoGuard.disarm()
            }
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else {
                throw CredentialError(message: "no answer (the terminal closed); nothing changed")
            }
            if byte == 0x0A || byte == 0x0D { break }
            bytes.append(byte)
        }
        guard let answer = String(bytes: bytes, encoding: .utf8) else { throw CredentialError(message: "the answer is not UTF-8 text") }
        return answer
    }
}

/// Puts echo back if a signal ends the process while a passphrase is being
/// typed: `defer` does not run then, and the shell would be left blind.
private enum EchoGuard {
    nonisolated(unsafe) private static var fd: Int32 = -1
    nonisolated(unsafe) private static var saved = termios()
    private static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP]

    static func arm(fd descriptor: Int32, saved state: termios) {
        fd = descriptor
        saved = state
        for number in signals {
            signal(number) { received in
                if EchoGuard.fd >= 0 { tcsetattr(EchoGuard.fd, TCSANOW, &EchoGuard.saved) }
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    static func disarm() {
        for number in signals { signal(number, SIG_DFL) }
        fd = -1
    }
}
