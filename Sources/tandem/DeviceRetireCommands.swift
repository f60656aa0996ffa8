import ArgumentParser
import Foundation
import TandemCore

extension DeviceCommand {
    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire another device that will not come back (lost, sold, or its app removed).",
            discussion: """
                No device waits for a retired one. This device republishes what the retired device's log holds that \
                nothing has superseded, then removes that log and record from the vault once an hour has passed; \
                if the retired device syncs again it is refused, and 'tandem device rejoin' makes it a new device. \
                A reinstall retires the installation it replaced by itself once it has restored. Asks first; --yes does not.

                Example: tandem device retire tablet
                """)

        @Argument(help: "The device to retire: its name, or its id (or the first digits of it) when two share the name.")
        var name: String
        @Flag(help: "Do not ask.") var yes = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let device = try global.openUnlockedDevice()
            let me = try device.store.info().id
            let records = device.readableDeviceRecords().filter { $0.id != me }
            let matches = records.filter { $0.name == name }.isEmpty
                ? records.filter { $0.id.rawValue.hasPrefix(name.lowercased()) && name.count >= 4 }
                : records.filter { $0.name == name }
            guard let target = matches.first else {
                let mine = (try? device.store.info().name) == name
                throw TandemError.cannotRetire(reason: mine ? "\(Escaped.quoted(name)) is this device; retire it from another one"
                                                            : "no other device of this vault is named \(Escaped.quoted(name)) (tandem device list shows them)")
            }
            guard matches.count == 1 else {
                throw TandemError.cannotRetire(reason: "\(matches.count) devices are named \(Escaped.quoted(name)): "
                                                + matches.map(\.id.rawValue).joined(separator: ", ") + "; give the id of the one to retire")
            }
            if !yes {
                Output.prompt("Retire \(Escaped.text(target.name)) (\(target.id))? Its log is folded into this device's and removed, and it can no longer sync as it is. [y/N] ")
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                guard answer == "y" || answer == "yes" else {
                    throw TandemError.cannotRetire(reason: "not confirmed (answer y, or pass --yes)")
                }
            }
            let retired = try await Synchronizer(device: device, logger: global.logger()).retire(target.id)
            if output.json {
                Output.json(.object([("retired", .string(retired.id.rawValue)), ("name", .string(retired.name)),
                                     ("at", .string(Output.time(retired.atMillis)))]))
            } else {
                Output.line("retired \(Escaped.text(retired.name)) (\(retired.id)); its log goes from the vault once this device has folded it and an hour has passed")
            }
        }
    }

    struct Rejoin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make this store, refused because its device was retired, a new device that keeps what it holds.",
            discussion: "The next sync publishes what it had not published, under its new id and a new name if another device has its own.\n\nExample: tandem device rejoin")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let device = try global.openUnlockedDevice()
            let change = try await Synchronizer(device: device, logger: global.logger()).rejoin()
            let info = try device.store.info()
            if output.json {
                Output.json(.object([("was", .string(change.was.rawValue)), ("now", .string(change.now.rawValue)), ("name", .string(info.name))]))
            } else {
                Output.line("this store is now device \(Escaped.text(info.name)) (\(change.now)); it was \(change.was); 'tandem sync' publishes what it holds")
            }
        }
    }
}
