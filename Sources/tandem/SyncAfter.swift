import ArgumentParser
import TandemCore

/// `--sync` on a command that changes this device: the change is made,
/// then a sync publishes it and takes what the vault has, as `tandem sync`
/// would with the stored policies.
struct SyncAfterOptions: ParsableArguments {
    @Flag(name: .customLong("sync"), help: "Then sync: publish the change and take what the vault has.") var sync = false

    /// Syncs when asked. What the sync found that a person must read goes
    /// to stderr; its summary goes to stdout unless the output is JSON. A
    /// sync that met problems ends the command with status 1: the change
    /// itself is made, and waits to be published.
    func run(_ global: GlobalOptions, json: Bool) async throws {
        guard sync else { return }
        let device = try global.openUnlockedDevice()
        let policies = PolicyMap.forPerson(stored: try device.store.policies())
        let report = try await Synchronizer.syncShowingProgress(device, policies: policies, logger: global.logger())
        if json { SyncCommand.warn(report) } else { SyncCommand.describe(report) }
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}
