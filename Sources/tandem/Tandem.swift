import ArgumentParser
import TandemCore

struct Tandem: AsyncParsableCommand {
    /// This build's version, with the vault format it writes.
    static let version = "0.9.0"
    static let versionLine = "tandem \(version) (vault format \(VaultFormat.version))"

    static let configuration = CommandConfiguration(
        commandName: "tandem",
        abstract: "Back up an app's data across your devices and review what the other devices changed.",
        discussion: """
            A vault is a folder every device can reach (a drive, NFS, a Syncthing or Dropbox folder). \
            Each device keeps its own store and pushes its changes to the vault; incoming changes wait \
            for your decision unless the context's policy accepts them.

            Options every command takes (--home, --device, --passphrase-file, --verbose) may also come before \
            the command: tandem --home H --device D sync.

            Exit codes: 0 ok, 1 the operation failed, 2 usage.
            """,
        version: versionLine,
        subcommands: [
            InitCommand.self, DeviceCommand.self, PutCommand.self, GetCommand.self, RmCommand.self, LsCommand.self,
            ExportCommand.self, ImportCommand.self,
            ContextsCommand.self, MigrateCommand.self, SyncCommand.self, IncomingCommand.self, AcceptCommand.self, RefuseCommand.self,
            KeepMineCommand.self, ConflictsCommand.self, ResolveCommand.self, UndoCommand.self, StatusCommand.self, WipeCommand.self,
            LogCommand.self, UnlockCommand.self, LockCommand.self, PassphraseCommand.self, SnapshotCommand.self, DbCommand.self, CompactCommand.self, CheckCommand.self, TuiCommand.self, DemoCommand.self, SimulateCommand.self,
        ]
    )
}
