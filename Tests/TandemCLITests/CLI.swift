import Foundation
import Testing

/// Runs the built `tandem` binary against a temporary home, as a person would.
final class CLI: @unchecked Sendable {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The stdout parsed as JSON.
        func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed])
        }
    }

    static let binary: URL = {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("tandem"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("tandem"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tandem"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    let root: URL
    var home: URL { root.appendingPathComponent("home") }
    var vault: URL { root.appendingPathComponent("vault") }

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-cli-" + UUID().uuidString)
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The passphrase of the vaults tests make, given through the environment
    /// as a script would; nil to run without it.
    var passphrase: String? = "correct horse battery staple"

    /// A program that runs the binary in its place (its arguments, then the
    /// binary's path and arguments), such as `setpriv` to run it as another
    /// user; nil to run it directly.
    var launcher: [String]?

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:]) throws -> Result {
        let program = (launcher ?? []) + [Self.binary.path] + arguments
        return try collect(program, stdin: stdin, environment: extra)
    }

    /// Runs and expects success, returning stdout.
    @discardableResult
    func ok(_ arguments: String..., stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(arguments, stdin: stdin)
        #expect(result.status == 0, "tandem \(arguments.joined(separator: " ")) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs with `--json` and parses the output.
    func json(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let result = try run(arguments + ["--json"])
        #expect(result.status == 0, "tandem \(arguments.joined(separator: " ")) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return try result.json()
    }

    /// An encrypted vault (scrypt at its lowest cost, to keep tests fast)
    /// with the named devices, each remembering the key as an app would.
    func setUp(devices: [String]) throws {
        try ok("init", "--vault", vault.path, "--owner", "alice", "--scrypt-log-n", "10")
        for name in devices { try ok("device", "create", name, "--vault", vault.path, "--remember-key") }
    }

    /// Runs a bash script (the binary is `"$TANDEM"`) and collects its output,
    /// for arguments a `Process` cannot pass, such as bytes that are not UTF-8.
    func runScript(_ script: String) throws -> Result {
        try collect(["/bin/bash", "-c", script], stdin: nil, environment: ["TANDEM": Self.binary.path])
    }

    private func collect(_ program: [String], stdin: String?, environment extra: [String: String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program[0])
        process.arguments = Array(program.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_HOME"] = home.path
        environment["TANDEM_PASSPHRASE"] = passphrase
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Every file of the vault and the home with its bytes, to show that a
    /// command changed nothing (lock files aside: taking a lock writes nothing).
    func files() -> [String: Data] {
        var files: [String: Data] = [:]
        for root in [vault, home] {
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            for case let path as String in walker where !path.hasSuffix(".lock") {
                let full = root.appendingPathComponent(path).path
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue {
                    files[full] = FileManager.default.contents(atPath: full)
                }
            }
        }
        return files
    }

    /// Runs a shell script with this home and binary in its environment, in its own process.
    func spawnShell(_ script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_HOME"] = home.path
        environment["TANDEM"] = Self.binary.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

typealias JSONObject = [String: Any]
