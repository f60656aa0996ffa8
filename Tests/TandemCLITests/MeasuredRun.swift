#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One run of the `tandem` binary with a deadline and its peak memory: a
/// hang is killed and reported instead of hanging the suite, and the peak
/// is the kernel's high-water mark of the child's own memory (`VmHWM`), so
/// a short spike is not missed between two samples. (`wait4`'s maximum
/// resident set is not used: a child spawned from a large test process
/// starts with the parent's resident set as its maximum.)
struct MeasuredRun {
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the deadline passed and the process was killed.
    var timedOut: Bool
    /// Peak resident memory in bytes.
    var peakBytes: Int

    /// Runs `tandem arguments` with `cli`'s home, killed after `seconds`.
    init(_ cli: CLI, _ arguments: [String], seconds: Double) throws {
        let out = cli.root.appendingPathComponent("measured-\(UUID().uuidString).out").path
        let err = out.replacingOccurrences(of: ".out", with: ".err")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_HOME"] = cli.home.path
        environment["TANDEM_PASSPHRASE"] = cli.passphrase
        let argv = ([CLI.binary.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, CLI.binary.path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        let deadline = Date().addingTimeInterval(seconds)
        var waitStatus: Int32 = 0
        var usage = rusage()
        var killed = false
        var highWater = 0
        while true {
            highWater = max(highWater, Self.highWaterMark(of: pid) ?? 0)
            let done = wait4(pid, &waitStatus, WNOHANG, &usage)
            if done == pid { break }
            if done < 0 && errno != EINTR { throw POSIXError(.ECHILD) }
            if !killed && Date() > deadline {
                kill(pid, SIGKILL)
                killed = true
            }
            usleep(20_000)
        }
        timedOut = killed
        // Exit code as a shell reports it; a signal as 128 + its number.
        let signal = waitStatus & 0x7F
        status = signal == 0 ? (waitStatus >> 8) & 0xFF : 128 + signal
        peakBytes = highWater
        stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
    }

    /// `VmHWM` of a running process, in bytes; nil once it has exited.
    static func highWaterMark(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }
}
