import Foundation
import Testing

/// Drives the built binary inside tmux, so a test reads like a story:
/// press a key, wait for text, look at the screen.
final class Tmux {
    let session: String
    let socket: String
    /// Where the UI says it is idle after a frame ("idle N", N keys read).
    let idleFile: String
    /// How many keys were sent so far.
    private(set) var keysSent = 0

    /// Starts `command` in a detached tmux session of the given size.
    init(_ command: String, width: Int = 120, height: Int = 40, environment: [String: String] = [:]) throws {
        session = "tandem-" + UUID().uuidString.prefix(8)
        socket = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(session)").path
        idleFile = socket + ".idle"
        let environment = environment.merging(["TANDEM_IDLE_FILE": idleFile]) { mine, _ in mine }
        let exports = environment.map { "export \($0.key)='\($0.value)';" }.joined(separator: " ")
        try Self.run(["-S", socket, "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)",
                      "bash -c \"\(exports) \(command); echo EXITED:\\$?; sleep 30\""], capture: false)
    }

    deinit {
        _ = try? Self.run(["-S", socket, "kill-server"], capture: false)
        try? FileManager.default.removeItem(atPath: socket)
        try? FileManager.default.removeItem(atPath: idleFile)
    }

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
    }

    /// Runs tmux through the shell (`popen`): Foundation's `Process` did not
    /// reap the client that `new-session -d` forks, and waited for ever.
    @discardableResult
    static func run(_ arguments: [String], capture: Bool = true) throws -> String {
        let command = (["/usr/bin/tmux"] + arguments).map(quote).joined(separator: " ") + (capture ? " 2>/dev/null" : " >/dev/null 2>&1")
        guard let stream = popen(command, "r") else { throw CocoaError(.fileReadUnknown) }
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, stream)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        pclose(stream)
        return String(decoding: output, as: UTF8.self)
    }

    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Sends tmux keys ("q", "Enter", "Space", "PageDown"), each one key.
    func press(_ keys: String...) throws {
        try Self.run(["-S", socket, "send-keys", "-t", session] + keys, capture: false)
        keysSent += keys.count
    }

    /// Types `text` literally, one key per character.
    func type(_ text: String) throws {
        try Self.run(["-S", socket, "send-keys", "-t", session, "-l", text], capture: false)
        keysSent += text.count
    }

    /// Waits until the UI has read every key sent and drawn a frame with
    /// nothing left running: what it writes to its idle file when asked,
    /// rather than a guess at what text will show.
    @discardableResult
    func settle(timeout: Double = 15, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: idleFile, encoding: .utf8),
               let read = Int(text.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("idle ".count)), read >= keysSent {
                return true
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("the UI did not settle after \(keysSent) keys; the screen:\n\(screen)", sourceLocation: sourceLocation)
        return false
    }

    var screen: String {
        (try? Self.run(["-S", socket, "capture-pane", "-p", "-t", session])) ?? ""
    }

    func resize(width: Int, height: Int) throws {
        try Self.run(["-S", socket, "resize-window", "-t", session, "-x", "\(width)", "-y", "\(height)"], capture: false)
    }

    /// Quits the UI (stopping the review prompt first when it shows),
    /// confirming when it asks about unpublished changes, and
    /// waits for the process to end with status 0.
    func quit(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try press("q")
        // The UI waits up to 30 s for work under way before it exits.
        let deadline = Date().addingTimeInterval(35)
        var pressed = Date()
        while Date() < deadline {
            let shown = screen
            if shown.contains("EXITED:0") { return }
            if shown.contains("Quit anyway?") {
                try press("y")
                pressed = Date()
            } else if shown.contains("[q] stop") || shown.contains("the rest wait on the incoming screen") && Date().timeIntervalSince(pressed) > 2 {
                // The review prompt takes q as "stop" (it may open just as
                // q is pressed, when a sync brought changes); the next q quits.
                try press("q")
                pressed = Date()
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("the UI did not quit; the screen:\n\(screen)", sourceLocation: sourceLocation)
    }

    /// Waits until the screen contains `text`; on timeout the test fails
    /// with the whole screen printed.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        waitUntil("\"\(text)\"", timeout: timeout, sourceLocation: sourceLocation) { $0.contains(text) }
    }

    /// Waits until `condition` holds for the screen; on timeout the test
    /// fails with `what` and the whole screen printed.
    @discardableResult
    func waitUntil(_ what: String, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation,
                   _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(screen) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("timed out waiting for \(what); the screen:\n\(screen)", sourceLocation: sourceLocation)
        return false
    }

    /// The first line of the screen that contains `text`.
    func line(containing text: String) -> String? {
        screen.split(separator: "\n").first { $0.contains(text) }.map(String.init)
    }
}
