import ArgumentParser
import Foundation
import TandemCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a workspace with a vault and three devices, and walk through a sync story.",
        discussion: """
            Makes a vault and the devices laptop, phone and tablet with sample contexts (friends, messages, \
            settings, installed-apps), then tells a story step by step: inserts, review decisions, a remote edit \
            and deletion, a conflict and its resolution. The workspace stays for you to explore with the commands it prints.

            Example: tandem demo --dir /tmp/tandem-demo
            """)

    @Option(help: ArgumentHelp("Workspace folder (default: demo/ in the data dir). A previous demo there is replaced.", valueName: "PATH"))
    var dir: String?

    static let marker = ".tandem-demo"

    func run() async throws {
        let workspace = URL(fileURLWithPath: dir ?? DeviceHome.defaultRoot().appendingPathComponent("demo").path).standardizedFileURL
        try prepare(workspace)
        let vaultURL = workspace.appendingPathComponent("vault")
        let home = DeviceHome(root: workspace.appendingPathComponent("home"))
        let story = Story(home: home.root.path)

        story.step("Create a vault and three devices")
        try Vault.create(at: vaultURL, owner: "demo@example.com")
        var devices: [String: DeviceStore] = [:]
        for name in ["laptop", "phone", "tablet"] {
            devices[name] = try home.createDevice(name: name, vaultPath: vaultURL)
            story.command("device create \(name) --vault \(vaultURL.path)", shown: false)
        }
        story.say("vault \(vaultURL.path); devices laptop, phone, tablet")

        story.step("Each device writes its own data")
        try write(devices, story, "laptop", "friends", "alice", #"{"name":"Alice","phone":"+44 20 7946 0958"}"#)
        try write(devices, story, "laptop", "settings", "theme", #"{"mode":"dark","accent":"teal"}"#)
        try write(devices, story, "phone", "friends", "bob", #"{"name":"Bob","birthday":"04-12"}"#)
        try write(devices, story, "phone", "messages", "m-0001", #"{"from":"bob","text":"Lunch on Friday?","read":false}"#)
        try write(devices, story, "tablet", "installed-apps", "chess", #"{"version":"3.2","size_mb":48}"#)
        try write(devices, story, "tablet", "friends", "carol", #"{"name":"Carol"}"#)

        story.step("Everyone syncs; laptop reviews what arrived")
        for name in ["laptop", "phone", "tablet", "laptop"] { try await sync(devices, story, name) }
        try show(devices["laptop"]!, story, states: [.incoming], title: "laptop: incoming")
        for entry in try devices["laptop"]!.entries(states: [.incoming]) {
            let decision: Decision = entry.key == "carol" ? .refuse : .accept
            try devices["laptop"]!.decide(decision, context: entry.context, key: entry.key)
            story.command("\(decision.rawValue) \(entry.changeID ?? "")   → \(entry.context)/\(entry.key)", shown: true, device: "laptop")
        }

        story.step("phone edits alice, tablet deletes carol")
        for name in ["phone", "tablet"] { try await sync(devices, story, name, policy: .accept) }
        try write(devices, story, "phone", "friends", "alice", #"{"name":"Alice","phone":"+44 20 7946 0000"}"#)
        try devices["tablet"]!.write(context: "friends", key: "carol", value: nil)
        story.command("rm friends carol", shown: true, device: "tablet")
        for name in ["phone", "tablet", "laptop"] { try await sync(devices, story, name) }
        try show(devices["laptop"]!, story, states: [.incoming, .refused], title: "laptop: incoming")
        try devices["laptop"]!.decide(.accept, context: "friends", key: "alice")
        story.command("accept --all --context friends   → friends/alice", shown: true, device: "laptop")

        story.step("laptop and phone change the theme at the same time: a conflict")
        try await sync(devices, story, "phone", policy: .accept)
        try write(devices, story, "laptop", "settings", "theme", #"{"mode":"light","accent":"teal"}"#)
        try write(devices, story, "phone", "settings", "theme", #"{"mode":"dark","accent":"orange"}"#)
        for name in ["laptop", "phone", "laptop"] { try await sync(devices, story, name) }
        try show(devices["laptop"]!, story, states: [.conflict], title: "laptop: conflicts")
        try devices["laptop"]!.resolve(context: "settings", key: "theme", .merge(value: #"{"mode":"light","accent":"orange"}"#))
        story.command(#"resolve settings theme --value '{"mode":"light","accent":"orange"}'"#, shown: true, device: "laptop")
        try await sync(devices, story, "laptop")
        try await sync(devices, story, "phone")
        try show(devices["phone"]!, story, states: [.incoming], title: "phone: the resolution arrives as an edit")
        try devices["phone"]!.decide(.accept, context: "settings", key: "theme")

        story.step("Where everyone stands")
        for name in ["laptop", "phone", "tablet"] {
            let counts = try devices[name]!.counts()
            story.say("\(pad(name, 8)) ✓ \(counts.inSync) in sync · ↓ \(counts.incoming) incoming · ⚠ \(counts.conflicts) conflicts · ⊘ \(counts.refused) refused · ↑ \(counts.waitingToPush) to push")
        }
        story.step("Explore it yourself (from the package folder, type 'swift run tandem' for 'tandem')")
        for line in [
            "tui --device laptop", "ls --device laptop", "incoming --device tablet", "sync --device tablet", "status --device phone",
            "log --device laptop", "put friends dave '{\"name\":\"Dave\"}' --device tablet --sync",
        ] {
            story.say("tandem \(line) --home \(home.root.path)")
        }
    }

    private func prepare(_ workspace: URL) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: workspace.path) {
            let contents = (try? manager.contentsOfDirectory(atPath: workspace.path)) ?? []
            guard contents.isEmpty || contents.contains(Self.marker) else {
                throw TandemError.io(path: workspace.path, reason: "exists and is not a previous demo; choose another --dir")
            }
            try manager.removeItem(at: workspace)
        }
        try manager.createDirectory(at: workspace, withIntermediateDirectories: true)
        guard manager.createFile(atPath: workspace.appendingPathComponent(Self.marker).path, contents: Data()) else {
            throw TandemError.io(path: workspace.path, reason: "cannot write in this folder")
        }
    }

    private func write(_ devices: [String: DeviceStore], _ story: Story, _ device: String, _ context: String, _ key: String, _ value: String) throws {
        try devices[device]!.write(context: context, key: key, value: value)
        story.command("put \(context) \(key) '\(value)'", shown: true, device: device)
    }

    private func sync(_ devices: [String: DeviceStore], _ story: Story, _ device: String, policy: SyncPolicy = .review) async throws {
        let report = try await Synchronizer(store: devices[device]!).sync(policies: .all(policy))
        var parts = ["pulled \(report.changesPulled)", "pushed \(report.changesPushed)"]
        if report.applied > 0 { parts.append("applied \(report.applied)") }
        if report.waiting > 0 { parts.append("\(report.waiting) waiting") }
        if report.conflicts > 0 { parts.append("\(report.conflicts) conflicts") }
        story.command("sync" + (policy == .review ? "" : " --policy \(policy.rawValue)") + "   → " + parts.joined(separator: ", "), shown: true, device: device)
    }

    private func show(_ store: DeviceStore, _ story: Story, states: Set<EntryState>, title: String) throws {
        story.say(title + ":")
        let names = try DeviceNames(store: store)
        for entry in try store.entries(states: states) {
            let version = entry.unseen.first
            let from = version.map { " from \(names[$0.origin])" } ?? ""
            let what = entry.incomingKind?.rawValue ?? entry.state.rawValue
            story.say("    \(entry.state.mark) \(pad(what, 9))\(entry.context)/\(Escaped.text(entry.key))\(from): \(Output.short(version?.value, width: 60))")
            if entry.state == .conflict, let local = entry.local {
                story.say("        here (laptop): \(Output.short(local.value, width: 60))")
            }
        }
    }
}

/// Prints the demo's story: numbered steps and the command each action matches.
final class Story {
    private var number = 0
    let home: String

    init(home: String) {
        self.home = home
    }

    func step(_ title: String) {
        number += 1
        print("\n\(number). \(title)")
    }

    func say(_ line: String) {
        print("   " + line)
    }

    func command(_ text: String, shown: Bool, device: String? = nil) {
        guard shown else { return }
        print("   " + (device.map { pad($0, 8) } ?? "") + "$ tandem " + text)
    }
}
