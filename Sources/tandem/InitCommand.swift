import ArgumentParser
import Foundation
import TandemCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a vault.",
        discussion: "Example: tandem init --vault /mnt/usb/tandem --owner alice@example.com")

    @Option(help: ArgumentHelp("Folder to create the vault in (may exist, must hold no vault).", valueName: "PATH"))
    var vault: String

    @Option(help: ArgumentHelp("Whose data this vault holds; backups restore only for this owner.", valueName: "ID"))
    var owner: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let url = URL(fileURLWithPath: vault)
        let descriptor = try Vault.create(at: url, owner: owner)
        if output.json {
            Output.json(.object([("vault", .string(url.standardizedFileURL.path)), ("id", .string(descriptor.id)),
                                 ("owner", .string(descriptor.owner)), ("format", .number(String(descriptor.format)))]))
        } else {
            print("created vault \(descriptor.id) at \(url.standardizedFileURL.path) (owner \(Escaped.text(owner)), format \(descriptor.format))")
            print("next: tandem device create NAME --vault \(url.standardizedFileURL.path)")
        }
    }
}
