/// What one step of the demo does.
public enum DemoAction: Sendable, Equatable {
    case write(device: String, context: String, key: String, value: String, note: String)
    case delete(device: String, context: String, key: String, note: String)
    /// Several writes on one device at once.
    case burst(device: String, writes: [DemoWrite], note: String)
    /// The same entry changed on two devices before either syncs: a conflict.
    case concurrentEdit(context: String, key: String, writes: [(device: String, value: String)], note: String)
    case goOffline(device: String)
    case comeOnline(device: String)
    /// Offline if online, online if offline.
    case toggleOnline(device: String)
    /// The device's store is wiped and the app installed again: it restores from the vault.
    case reinstall(device: String)

    public static func == (lhs: DemoAction, rhs: DemoAction) -> Bool {
        String(describing: lhs) == String(describing: rhs)
    }
}

/// One write of a burst.
public struct DemoWrite: Sendable, Equatable {
    public var context: String
    public var key: String
    public var value: String
}

/// The seeded story the demo's devices act out: an opening that shows every
/// kind of change within the first minute (an incoming edit, insert and
/// deletion, a conflict, a device that goes offline and comes back, a
/// reinstall), then an endless random mix. The same seed gives the same story.
public struct DemoScript: Sendable {
    /// The device the person watches; the script writes there only as part
    /// of a concurrent edit (as the app on that device would).
    public let watched: String
    public let others: [String]
    private var random: SeededGenerator
    private var step = 0
    private var messageNumber = 100

    public init(seed: UInt64, watched: String = "laptop", others: [String] = ["phone", "tablet"]) {
        self.watched = watched
        self.others = others
        random = SeededGenerator(seed: seed)
    }

    static let people = ["alice", "bob", "carol", "dave", "erin", "frank"]
    static let lines = ["Lunch on Friday?", "Running 5 min late", "Did you see the match?", "Photos from the weekend 📷",
                        "Call me when you can", "The keys are under the mat", "Happy birthday! 🎂", "See you at 7"]
    static let apps = ["chess", "maps", "notes", "podcasts", "weather", "camera"]

    public mutating func next() -> DemoAction {
        step += 1
        let phone = others[0], tablet = others.count > 1 ? others[1] : others[0]
        switch step {
        case 1: return message(from: phone, note: "a message arrives on \(phone)")
        case 2: return .write(device: phone, context: "friends", key: "alice", value: #"{"name":"Alice","phone":"+44 20 7946 0000"}"#,
                              note: "\(phone) edits friends/alice")
        case 3: return .delete(device: tablet, context: "installed-apps", key: "chess", note: "\(tablet) uninstalls chess")
        case 4: return .concurrentEdit(context: "settings", key: "theme", writes: [
                    (watched, #"{"accent":"teal","mode":"light"}"#), (phone, #"{"accent":"orange","mode":"dark"}"#),
                ], note: "\(watched) and \(phone) change settings/theme at the same time")
        case 5: return .goOffline(device: tablet)
        case 6: return .write(device: tablet, context: "friends", key: "carol", value: #"{"name":"Carol","city":"Lyon"}"#,
                              note: "\(tablet), offline, edits friends/carol (queued)")
        case 7: return message(from: tablet, note: "\(tablet), offline, writes a message (queued)")
        case 8: return .comeOnline(device: tablet)
        case 12: return .reinstall(device: tablet)
        default: return randomAction(phone: phone, tablet: tablet)
        }
    }

    private mutating func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &random)]
    }

    private mutating func message(from device: String, note: String) -> DemoAction {
        messageNumber += 1
        let value = #"{"from":"\#(pick(Self.people))","read":false,"text":"\#(pick(Self.lines))"}"#
        return .write(device: device, context: "messages", key: "m-\(messageNumber)", value: value, note: note)
    }

    private mutating func randomAction(phone: String, tablet: String) -> DemoAction {
        let device = pick(others)
        let roll = Double.random(in: 0..<1, using: &random)
        switch roll {
        case ..<0.40:
            return message(from: device, note: "\(device) writes a message")
        case ..<0.55:
            let person = pick(Self.people)
            let value = #"{"name":"\#(person.capitalized)","phone":"+44 20 7946 \#(Int.random(in: 1000...9999, using: &random))"}"#
            return .write(device: device, context: "friends", key: person, value: value, note: "\(device) edits friends/\(person)")
        case ..<0.65:
            let app = pick(Self.apps)
            let value = #"{"size_mb":\#(Int.random(in: 5...400, using: &random)),"version":"\#(Int.random(in: 1...9, using: &random)).\#(Int.random(in: 0...9, using: &random))"}"#
            return .write(device: device, context: "installed-apps", key: app, value: value, note: "\(device) installs or updates \(app)")
        case ..<0.72:
            let key = "m-\(Int.random(in: 100...max(100, messageNumber), using: &random))"
            return .delete(device: device, context: "messages", key: key, note: "\(device) deletes messages/\(key)")
        case ..<0.80:
            var writes: [DemoWrite] = []
            for _ in 0..<5 {
                messageNumber += 1
                writes.append(DemoWrite(context: "messages", key: "m-\(messageNumber)",
                                        value: #"{"from":"\#(pick(Self.people))","read":false,"text":"\#(pick(Self.lines))"}"#))
            }
            return .burst(device: device, writes: writes, note: "\(device) receives a burst of 5 messages")
        case ..<0.88:
            let key = pick(["notifications", "language", "theme"])
            let first = #"{"value":"\#(pick(["on", "off", "en", "fr"]))","by":"\#(watched)"}"#
            let second = #"{"value":"\#(pick(["on", "off", "de", "es"]))","by":"\#(device)"}"#
            return .concurrentEdit(context: "settings", key: key, writes: [(watched, first), (device, second)],
                                   note: "\(watched) and \(device) change settings/\(key) at the same time")
        case ..<0.94:
            return .toggleOnline(device: device)
        default:
            return .write(device: device, context: "settings", key: "volume", value: "\(Int.random(in: 0...10, using: &random))",
                          note: "\(device) changes settings/volume")
        }
    }
}
