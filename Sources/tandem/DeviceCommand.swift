import ArgumentParser
import Foundation
import TandemCore

struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "Create, list and retire devices.",
        subcommands: [Create.self, List.self, Retire.self, Rejoin.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a device of a vault on this machine.",
            discussion: """
                A name is unique in a vault: one a live device has is refused, unless --replaces names that device.

                Example: tandem device create laptop --vault /mnt/usb/tandem
                """)

        @Argument(help: "Name of the device: 1–64 of a–z, 0–9, '.', '_' and '-'.")
        var name: String

        @Option(help: ArgumentHelp("The vault the device belongs to.", valueName: "PATH"))
        var vault: String

        @Option(help: ArgumentHelp("Whose device this is: a vault of another owner is refused.", valueName: "ID"))
        var owner: String?

        @Flag(help: "Remember the vault key on this device, so later commands need no passphrase ('tandem lock' forgets it).")
        var rememberKey = false

        @Option(help: ArgumentHelp("none, to join a vault made with 'tandem init --encryption none' (without it, a vault that is not encrypted is refused, in case its vault.json was replaced).", valueName: "METHOD"))
        var encryption: String?

        @Option(help: ArgumentHelp("The device this one replaces (its name or id), as after a reinstall that lost its store: it may keep its name, and the old device is retired once this one has restored.", valueName: "DEVICE"))
        var replaces: String?

        @OptionGroup var global: GlobalOptions
        @OptionGroup var recovery: RecoveryOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let url = URL(fileURLWithPath: vault)
            let target = Vault(root: url)
            let descriptor = try target.readDescriptor()
            if let owner, owner != descriptor.owner {
                throw TandemError.ownerMismatch(path: target.root.path, vaultOwner: descriptor.owner, requested: owner)
            }
            if !descriptor.isEncrypted, encryption != "none" {
                throw CredentialError(message: "the vault at \(target.root.path) is NOT encrypted: if it was made so ('tandem init --encryption none'), join it with --encryption none; if it should be encrypted, its vault.json was replaced — do not join it")
            }
            let create = { (credential: VaultCredential?) in
                try global.deviceHome.createDevice(name: name, vaultPath: url, credential: credential, remember: rememberKey, owner: owner,
                                                   replaces: replaces)
            }
            let store = (descriptor.isEncrypted
                ? try recovery.credentials(global).withCredential(for: target.root.path) { try create($0) }
                : try create(nil)).store
            let info = try store.info()
            if output.json {
                Output.json(.object([("name", .string(info.name)), ("id", .string(info.id.rawValue)),
                                     ("vault", .string(info.vaultPath)), ("store", .string(store.path))]))
            } else {
                Output.line("created device \(info.name) (\(info.id)) on vault \(info.vaultPath)")
                Output.line("store: \(store.path)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the devices on this machine and the other devices of their vaults.",
            discussion: "Example: tandem device list --json")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let home = global.deviceHome
            // The device the other commands would use, given these options: --device when given.
            let current = global.device == nil ? try? home.resolveDevice(nil) : try home.resolveDevice(global.device)
            var rows: [JSONValue] = []
            var seen = Set<DeviceID>()
            var vaults: [String] = []
            var storeOfVault: [String: Device] = [:]
            for name in home.deviceNames() {
                let device = Device(store: try DeviceStore.open(at: home.storePath(for: name), for: .reading))
                let store = device.store
                let info = try store.info()
                seen.insert(info.id)
                if !vaults.contains(info.vaultPath) { vaults.append(info.vaultPath) }
                // One store per vault reads its records: one that has the key, if any.
                if storeOfVault[info.vaultPath].map({ (try? $0.needsVaultKey()) == true }) ?? true { storeOfVault[info.vaultPath] = device }
                rows.append(.object([
                    ("name", .string(info.name)), ("id", .string(info.id.rawValue)), ("here", .bool(true)),
                    ("current", .bool(name == current)), ("vault", .string(info.vaultPath)),
                    ("pushedSeq", .number(String(info.pushedSeq))),
                    ("lastSync", info.lastSyncMillis.map { .string(Output.time($0)) } ?? .null),
                ]))
            }
            var damaged: [DamagedDeviceRecord] = []
            // A device reinstalled keeps its name: the old one is shown as replaced until it is retired.
            var replacedBy: [String: String] = [:]
            for path in vaults {
                let listing = storeOfVault[path]?.deviceRecordListing() ?? DeviceRecordListing()
                for record in listing.records {
                    if let old = record.replaces { replacedBy[old.rawValue] = "\(record.name) (\(record.id))" }
                }
                for record in listing.records where !seen.contains(record.id) {
                    seen.insert(record.id)
                    rows.append(.object([
                        ("name", .string(record.name)), ("id", .string(record.id.rawValue)), ("here", .bool(false)),
                        ("current", .bool(false)), ("vault", .string(path)), ("pushedSeq", .number(String(record.pushedSeq))),
                        ("lastSync", record.lastSyncMillis.map { .string(Output.time($0)) } ?? .null),
                    ]))
                }
                // A device whose record does not open stays listed, by its id.
                for record in listing.damaged {
                    damaged.append(record)
                    guard let id = record.device, !seen.contains(id) else { continue }
                    seen.insert(id)
                    rows.append(.object([
                        ("name", .null), ("id", .string(id.rawValue)), ("here", .bool(false)), ("current", .bool(false)),
                        ("vault", .string(path)), ("pushedSeq", .null), ("lastSync", .null),
                    ]))
                }
            }
            rows = rows.map { row in
                guard case .object(let members) = Self.marking(row, damaged: damaged) else { return row }
                guard case .string(let id)? = members.first(where: { $0.key == "id" })?.value, let by = replacedBy[id] else {
                    return .object(members + [("replacedBy", .null)])
                }
                return .object(members + [("replacedBy", .string(by))])
            }
            // Retired devices are listed apart, also once their records are gone from the vault.
            var retired: [(device: RetiredDevice, by: String, vault: String)] = []
            for path in vaults {
                let records = storeOfVault[path]?.readableDeviceRecords() ?? []
                for record in records {
                    for device in record.retired ?? [] where !retired.contains(where: { $0.device.id == device.id }) {
                        retired.append((device, record.name, path))
                    }
                }
            }
            let retiredIDs = Set(retired.map { JSONValue.string($0.device.id.rawValue) })
            rows = rows.filter { row in
                guard case .object(let members) = row, let id = members.first(where: { $0.key == "id" })?.value else { return true }
                return !retiredIDs.contains(id)
            }.map { row in
                guard case .object(let members) = row else { return row }
                return .object(members + [("retired", .null)])
            }
            let retiredRows: [JSONValue] = retired.map { entry in
                .object([("name", .string(entry.device.name)), ("id", .string(entry.device.id.rawValue)), ("here", .bool(false)),
                         ("current", .bool(false)), ("vault", .string(entry.vault)),
                         ("retired", .object([("by", .string(entry.by)), ("at", .string(Output.time(entry.device.atMillis)))]))])
            }
            if output.json {
                Output.json(.array(rows + retiredRows))
                return
            }
            DeviceNotes.warn(damaged, suffix: "; its device is listed by its id")
            guard !rows.isEmpty else {
                Output.line("no devices in \(home.root.path); create one with 'tandem device create NAME --vault PATH'")
                return
            }
            Output.line(pad("", 2) + pad("NAME", 16) + pad("ID", 18) + pad("PUSHED", 8) + pad("LAST SYNC", 22) + "WHERE")
            for case .object(let members) in rows {
                let field = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                let mark = field["current"] == .bool(true) ? "* " : "  "
                let isDamaged = field["damagedRecord"] != nil
                let unknown = isDamaged && field["name"] == .null
                let lastSync: String = if case .string(let text)? = field["lastSync"] { text } else { unknown ? "?" : "never" }
                Output.line(mark + pad(unknown ? "?" : text(field["name"]), 16) + pad(text(field["id"]), 18)
                      + pad(unknown ? "?" : text(field["pushedSeq"]), 8) + pad(lastSync, 22)
                      + (field["here"] == .bool(true) ? "this machine" : unknown ? "not here" : "other machine")
                      + (isDamaged ? " · damaged record" : "")
                      + (field["replacedBy"].flatMap { if case .string(let by) = $0 { " · replaced by \(Escaped.text(by))" } else { nil } } ?? ""))
            }
            if !retired.isEmpty {
                Output.line("retired (no longer synced or waited for; their logs are folded into the retiring device's):")
                for entry in retired {
                    Output.line("  " + pad(Escaped.text(entry.device.name), 16) + pad(entry.device.id.rawValue, 18)
                                + "by \(Escaped.text(entry.by)) on \(Output.time(entry.device.atMillis))")
                }
            }
            for (path, store) in storeOfVault.sorted(by: { $0.key < $1.key }) where (try? store.needsVaultKey()) == true {
                Output.line("(the other devices of the encrypted vault at \(path) show once a device here has its key: tandem unlock)")
            }
        }

        /// `row` with its device's damaged record, if any, as `damagedRecord`.
        private static func marking(_ row: JSONValue, damaged: [DamagedDeviceRecord]) -> JSONValue {
            guard case .object(let members) = row, let id = members.first(where: { $0.key == "id" })?.value,
                  let record = damaged.first(where: { $0.device.map { JSONValue.string($0.rawValue) } == id }) else { return row }
            return .object(members + [("damagedRecord", .object([("path", .string(record.path)), ("reason", .string(record.reason))]))])
        }

        private func text(_ value: JSONValue?) -> String {
            switch value {
            case .string(let text)?: return Escaped.text(text)
            case .number(let text)?: return text
            default: return ""
            }
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
