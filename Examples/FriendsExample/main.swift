// A small app that keeps a list of friends on two devices, the laptop and
// the phone, through one vault folder: typed values and handlers, a screen
// that listens to the store, and a conflict reviewed and resolved.
//
//     swift run friends-example [FOLDER]
//
// FOLDER (default: a new temporary folder) receives the vault and each
// device's store. It ends with both devices holding the same friends, or
// exits 1 saying what differs.
import Foundation
import Logging
import TandemCore

struct Friend: Codable, Equatable, Sendable, CustomStringConvertible {
    var name: String
    var phone: String

    var description: String { "\(name), \(phone)" }
}

/// The phone app's own model, kept up to date by its handlers.
actor FriendList {
    private(set) var friends: [String: Friend] = [:]

    func apply(_ change: Change<Friend>) -> HandlerResult {
        switch change.kind {
        case .insert, .edit:
            guard let friend = change.value else { return .failure("\(change.key) has no value") }
            friends[change.key] = friend
        case .deletion:
            friends[change.key] = nil
        }
        print("phone applied \(change.kind.rawValue) of \(change.key)")
        return .applied
    }
}

func run(in folder: URL) async throws -> Bool {
    // One vault for the person's devices, encrypted with their passphrase.
    let passphrase = "correct horse battery staple"
    let vaultFolder = folder.appendingPathComponent("vault")
    let created = try Vault.create(at: vaultFolder, owner: "alice@example.com", protection: .passphrase(passphrase))
    print("vault created; its recovery phrase opens it if the passphrase is lost: \(created.recoveryPhrase?.count ?? 0) words")

    // Each device keeps its own store, and remembers the vault key.
    func device(_ name: String) throws -> TandemDevice {
        let home = DeviceHome(root: folder.appendingPathComponent("\(name)-home"))
        let device = try home.createDevice(name: name, vaultPath: vaultFolder, credential: .passphrase(passphrase), remember: true)
        return TandemDevice(device: device, coalescingDelay: .seconds(3600), logger: Logger(label: "friends.\(name)"))
    }
    let laptop = try device("laptop"), phone = try device("phone")

    // The phone applies what the laptop changes through its handlers.
    let phoneList = FriendList()
    try await phone.addSyncContext("friends",
        onInsert: { (change: Change<Friend>) in await phoneList.apply(change) },
        onModify: { change in await phoneList.apply(change) },
        onDelete: { change in await phoneList.apply(change) })

    // The laptop's screen listens to its store instead of polling it; the
    // stream is taken before the first write, so it hears every one.
    let changes = laptop.changes()
    let screen = Task {
        for await change in changes {
            let names = change.entries.map(\.description).sorted().joined(separator: ", ")
            print("laptop screen reloads \(names); \(change.waiting.incoming) incoming, \(change.waiting.conflicts) in conflict")
        }
    }

    try await laptop.upsert("friends", key: "bob", value: Friend(name: "Bob", phone: "555-0101"))
    try await laptop.upsert("friends", key: "carol", value: Friend(name: "Carol", phone: "555-0102"))
    _ = try await laptop.sync()
    _ = try await phone.sync()

    // Both change Bob's number before either syncs: a conflict.
    try await laptop.upsert("friends", key: "bob", value: Friend(name: "Bob", phone: "555-0199"))
    try await phone.upsert("friends", key: "bob", value: Friend(name: "Robert", phone: "555-0101"))
    _ = try await phone.sync()
    _ = try await laptop.sync()

    // The person reviews on the laptop: each side kept one field they want.
    for entry in try await laptop.waiting("friends") where entry.state == .conflict {
        print("laptop: \(EntryName(context: entry.context, key: entry.key)) is in conflict between \(entry.vault.count) versions")
        let merged = Friend(name: "Robert", phone: "555-0199")
        let json = String(decoding: try JSONEncoder().encode(merged), as: UTF8.self)
        try await laptop.resolve(entry.context, key: entry.key, .merge(value: json))
    }
    _ = try await laptop.sync()
    _ = try await phone.sync()

    let onLaptop = try await laptop.entry("friends", key: "bob", as: Friend.self)
    let onPhone = try await phone.entry("friends", key: "bob", as: Friend.self)
    let inPhoneModel = await phoneList.friends["bob"]
    func shown(_ friend: Friend?) -> String { friend?.description ?? "nothing" }
    print("bob on the laptop: \(shown(onLaptop)); on the phone: \(shown(onPhone)); in the phone's model: \(shown(inPhoneModel))")
    let carol = try await phone.entry("friends", key: "carol", as: Friend.self)
    // Closing the store ends its stream once the screen has read all it was sent.
    try laptop.store.close()
    await screen.value
    return onLaptop == Friend(name: "Robert", phone: "555-0199") && onPhone == onLaptop && inPhoneModel == onLaptop
        && carol == Friend(name: "Carol", phone: "555-0102")
}

let arguments = CommandLine.arguments.dropFirst()
let folder = arguments.first.map { URL(fileURLWithPath: $0) }
    ?? FileManager.default.temporaryDirectory.appendingPathComponent("friends-example-\(UUID().uuidString.prefix(8))")
do {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let agreed = try await run(in: folder)
    print(agreed ? "both devices hold the same friends (in \(folder.path))" : "the devices differ (in \(folder.path))")
    exit(agreed ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("friends-example: \(error)\n".utf8))
    exit(1)
}
