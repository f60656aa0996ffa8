#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Lets the person edit a JSON value in `$VISUAL`, `$EDITOR` or vi, in a
/// private temporary file removed afterwards.
enum ValueEditor {
    /// A line of a merge file from which the rest is ignored: the versions
    /// to merge from are listed under it.
    static let ignoredFrom = "// ---- tandem: this line and everything below it are ignored; the versions to merge from ----"

    /// The value a merge file holds: what comes before `ignoredFrom`.
    static func value(ofMergeFile text: String) -> String {
        guard let range = text.range(of: ignoredFrom) else { return text }
        return String(text[..<range.lowerBound])
    }

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
        switch run(editor, on: file.path) {
        case .failure(let failure): return .failure(failure)
        case .success(let status) where status != 0:
            return .failure(Failure(description: "the editor '\(editor)' exited with \(status); nothing was written"))
        case .success: break
        }
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            return .failure(Failure(description: "cannot read back \(file.path)"))
        }
        return .success(text)
    }

    /// Runs `editor` on `path` through the shell (so `EDITOR="vim -u NONE"`
    /// works) and waits for it; returns its exit status.
    ///
    /// `posix_spawn` without `POSIX_SPAWN_SETPGROUP` keeps the editor in
    /// this process's group, which is the terminal's foreground group: a
    /// child in a group of its own (Foundation's `Process` on Linux makes
    /// one) cannot read the terminal, and vim exits at once. Meanwhile this
    /// process ignores Ctrl-C and Ctrl-\\, which the terminal sends to the
    /// whole group, as git does; the editor gets them with their defaults.
    static func run(_ editor: String, on path: String) -> Result<Int32, Failure> {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE] { sigaddset(&defaults, signal) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = ["/bin/sh", "-c", "\(editor) \"$1\"", "editor", path]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let interrupt = signal(SIGINT, SIG_IGN)
        let quit = signal(SIGQUIT, SIG_IGN)
        defer {
            signal(SIGINT, interrupt)
            signal(SIGQUIT, quit)
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, &attributes, &argv, environ)
        guard spawned == 0 else {
            return .failure(Failure(description: "cannot run the editor '\(editor)': \(String(cString: strerror(spawned)))"))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .failure(Failure(description: "lost the editor '\(editor)': \(String(cString: strerror(errno)))")) }
        }
        // WIFEXITED / WEXITSTATUS; a signal that ended it counts as a failure.
        return .success(status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
    }
}
