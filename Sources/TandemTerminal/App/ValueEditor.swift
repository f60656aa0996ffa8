import Foundation

/// Lets the person edit a JSON value in `$VISUAL`, `$EDITOR` or vi, in a
/// private temporary file removed afterwards.
enum ValueEditor {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func edit(_ initial: String) -> Result<String, Failure> {
        let environment = ProcessInfo.processInfo.environment
        let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-\(UUID().uuidString.prefix(8)).json")
        defer { try? FileManager.default.removeItem(at: file) }
        guard FileManager.default.createFile(atPath: file.path, contents: Data((initial + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            return .failure(Failure(description: "cannot write \(file.path)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(editor) \"$1\"", "editor", file.path]
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .failure(Failure(description: "cannot run the editor '\(editor)': \(error)"))
        }
        guard process.terminationStatus == 0 else {
            return .failure(Failure(description: "the editor '\(editor)' exited with \(process.terminationStatus); nothing was written"))
        }
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            return .failure(Failure(description: "cannot read back \(file.path)"))
        }
        return .success(text)
    }
}
