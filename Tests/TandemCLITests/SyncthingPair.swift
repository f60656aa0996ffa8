#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Two real Syncthing instances (the system's package) on 127.0.0.1, each
/// with its own home and ports, without discovery, relays, NAT traversal,
/// usage reports or upgrades, sharing one folder: two machines' copies of a
/// vault. "In sync" is read from their REST API, never waited for by time.
final class SyncthingPair: @unchecked Sendable {
    /// One machine's Syncthing.
    final class Machine: @unchecked Sendable {
        let name: String
        let home: URL
        let folder: URL
        let guiPort: Int
        let listenPort: Int
        let apiKey: String
        let id: String
        var process: Process?

        init(name: String, root: URL, folder: URL) throws {
            self.name = name
            self.folder = folder
            home = root.appendingPathComponent("syncthing-\(name)")
            guiPort = try SyncthingPair.freePort()
            listenPort = try SyncthingPair.freePort()
            apiKey = "tandem-test-" + UUID().uuidString
            try SyncthingPair.runQuietly(["generate", "--home=\(home.path)", "--no-default-folder"])
            id = try SyncthingPair.output(["serve", "--home=\(home.path)", "--device-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        var baseURL: String { "http://127.0.0.1:\(guiPort)" }

        /// A REST call's JSON (curl: Foundation's HTTP client is not in every toolchain's corelibs).
        func rest(_ path: String, method: String = "GET") throws -> [String: Any] {
            let text = try SyncthingPair.run("/usr/bin/curl", ["-sf", "-X", method, "-H", "X-API-Key: \(apiKey)", baseURL + path])
            guard !text.isEmpty else { return [:] }
            return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        }

        func start(peer: Machine) throws {
            let config = """
                <configuration version="36">
                    <folder id="vault" label="vault" path="\(folder.path)" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="true" fsWatcherDelayS="1">
                        <device id="\(id)"></device>
                        <device id="\(peer.id)"></device>
                        <markerName>.stfolder</markerName>
                    </folder>
                    <device id="\(id)" name="\(name)" compression="metadata"><address>dynamic</address></device>
                    <device id="\(peer.id)" name="\(peer.name)" compression="metadata"><address>tcp://127.0.0.1:\(peer.listenPort)</address></device>
                    <gui enabled="true" tls="false"><address>127.0.0.1:\(guiPort)</address><apikey>\(apiKey)</apikey></gui>
                    <options>
                        <listenAddress>tcp://127.0.0.1:\(listenPort)</listenAddress>
                        <globalAnnounceEnabled>false</globalAnnounceEnabled>
                        <localAnnounceEnabled>false</localAnnounceEnabled>
                        <relaysEnabled>false</relaysEnabled>
                        <natEnabled>false</natEnabled>
                        <urAccepted>-1</urAccepted>
                        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
                        <crashReportingEnabled>false</crashReportingEnabled>
                        <startBrowser>false</startBrowser>
                    </options>
                </configuration>
                """
            try config.write(to: home.appendingPathComponent("config.xml"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: SyncthingPair.binary)
            process.arguments = ["serve", "--home=\(home.path)", "--no-browser", "--no-restart", "--no-upgrade",
                                 "--logfile=\(home.appendingPathComponent("syncthing.log").path)"]
            var environment = ProcessInfo.processInfo.environment
            environment["STNOUPGRADE"] = "1"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            self.process = process
        }

        func stop() {
            guard let process, process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }

        /// Whether this machine has scanned its folder, needs nothing, and
        /// sees the peer holding everything it has.
        func isInSync(with peer: Machine) -> Bool {
            guard (try? rest("/rest/db/scan?folder=vault", method: "POST")) != nil,
                  let status = try? rest("/rest/db/status?folder=vault"),
                  status["state"] as? String == "idle", status["needTotalItems"] as? Int == 0,
                  let completion = try? rest("/rest/db/completion?folder=vault&device=\(peer.id)") else { return false }
            return completion["completion"] as? Double == 100 || completion["completion"] as? Int == 100
        }

        func log() -> String {
            (try? String(contentsOf: home.appendingPathComponent("syncthing.log"), encoding: .utf8)) ?? ""
        }
    }

    static let binary = "/usr/bin/syncthing"

    /// Why the pair cannot run here, or nil when it can.
    static var unavailable: String? {
        guard FileManager.default.isExecutableFile(atPath: binary) else { return "syncthing is not installed (\(binary)); .ci/run installs it" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { return "curl is not installed; .ci/run installs it" }
        return nil
    }

    let a: Machine
    let b: Machine

    /// Starts both and waits until they are connected.
    init(root: URL, folderA: URL, folderB: URL) throws {
        for folder in [folderA, folderB] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // The README's recipe: a write in progress is never indexed.
            try "// Tandem writes each file under a temporary name, then moves it into place.\n.tmp-*\n"
                .write(to: folder.appendingPathComponent(".stignore"), atomically: true, encoding: .utf8)
        }
        a = try Machine(name: "a", root: root, folder: folderA)
        b = try Machine(name: "b", root: root, folder: folderB)
        try a.start(peer: b)
        try b.start(peer: a)
        try wait("the two instances to connect", timeout: 60) {
            let connections = (try? self.a.rest("/rest/system/connections"))?["connections"] as? [String: Any]
            return (connections?[self.b.id] as? [String: Any])?["connected"] as? Bool == true
        }
    }

    deinit {
        a.stop()
        b.stop()
    }

    /// Waits until both copies of the folder are the same, as both instances
    /// say and as the two trees show (names, sizes and modification times).
    func waitInSync(timeout: TimeInterval = 120) throws {
        try wait("the two copies of the vault to be in sync", timeout: timeout) {
            self.a.isInSync(with: self.b) && self.b.isInSync(with: self.a) && Self.tree(self.a.folder) == Self.tree(self.b.folder)
        }
    }

    /// Cuts the link between the machines (each pauses the other), or restores it.
    func setConnected(_ connected: Bool) throws {
        _ = try a.rest("/rest/system/\(connected ? "resume" : "pause")?device=\(b.id)", method: "POST")
        _ = try b.rest("/rest/system/\(connected ? "resume" : "pause")?device=\(a.id)", method: "POST")
    }

    /// Files a synced folder set aside as conflicts, in either copy.
    func conflictCopies() -> [String] {
        [a.folder, b.folder].flatMap { folder in
            (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).filter { $0.contains(".sync-conflict-") }
        }
    }

    /// Every file of a copy with its size and modification time, without
    /// Syncthing's own files and Tandem's writes in progress.
    static func tree(_ folder: URL) -> [String: String] {
        var result: [String: String] = [:]
        for path in FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? [] {
            let name = (path as NSString).lastPathComponent
            guard !path.hasPrefix(".stfolder"), name != ".stignore", !name.hasPrefix(".tmp-"), !name.hasPrefix(".syncthing.") else { continue }
            var status = stat()
            guard stat(folder.appendingPathComponent(path).path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            result[path] = "\(status.st_size) \(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
        }
        return result
    }

    private func wait(_ what: String, timeout: TimeInterval, until condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else {
                throw SyncthingFailure(message: "timed out after \(Int(timeout)) s waiting for \(what)\nlog of a:\n\(a.log().suffix(3000))\nlog of b:\n\(b.log().suffix(3000))")
            }
            usleep(200_000)
        }
    }

    struct SyncthingFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// A TCP port nothing listens on now, on 127.0.0.1.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw SyncthingFailure(message: "no free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func runQuietly(_ arguments: [String]) throws {
        _ = try run(binary, arguments)
    }

    static func output(_ arguments: [String]) throws -> String {
        try run(binary, arguments)
    }

    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SyncthingFailure(message: "\(program) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
