#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// What a killed backup or restore of this device left, found and undone
/// or finished when the device is next opened, and before every backup and
/// restore (DesignNotes, "Killed backups and restores leave nothing behind").
///
/// `<device folder>/scratch/` holds the database copies of backups
/// (`backup-<id>/`) and, for each restore in progress, a symlink
/// (`restore-<id>`) to its folder beside the target, which may lie on
/// another disk. Every such folder is locked by its process
/// (`ScratchFolder`), so only those of dead processes are touched.
extension SnapshotService {
    var scratchRoot: String { (path as NSString).deletingLastPathComponent + "/scratch" }

    /// A new locked scratch folder for a database copy, removed on a signal too.
    func newBackupScratch() throws(TandemError) -> ScratchFolder {
        try makeScratchRoot()
        return try ScratchFolder.create(at: scratchRoot + "/backup-" + Self.newSnapshotID(), removedOnSignal: true)
    }

    /// Records `folder` (a restore's folder beside its target) so that the
    /// next start finds it if this process dies; returns the record's path.
    func recordRestore(_ folder: String) throws(TandemError) -> String {
        try makeScratchRoot()
        let record = scratchRoot + "/restore-" + Self.newSnapshotID()
        guard symlink(folder, record) == 0 else { throw .io(path: record, reason: String(cString: strerror(errno))) }
        return record
    }

    /// Removes the scratch folders of killed backups, removes half-written
    /// folder restores, and finishes database restores killed while they
    /// replaced the database (`DatabaseRestore.finishOrRemove`). Work of a
    /// live process is left alone. Every backup and restore runs it first;
    /// an app (or the command line) runs it when it opens the device.
    public func finishInterruptedWork() throws(TandemError) {
        let device = (path as NSString).deletingLastPathComponent
        // Before the scratch folder, a backup's copy lay in the device's folder as `.backup-<id>`.
        for name in Self.names(in: device) where name.hasPrefix(".backup-") { ScratchFolder.claim(device + "/" + name)?.remove() }
        for name in Self.names(in: scratchRoot) {
            let entry = scratchRoot + "/" + name
            if name.hasPrefix("backup-") {
                ScratchFolder.claim(entry)?.remove()
            } else if name.hasPrefix("restore-"), let folder = try? FileManager.default.destinationOfSymbolicLink(atPath: entry) {
                if FileManager.default.fileExists(atPath: folder) {
                    guard let claimed = ScratchFolder.claim(folder) else { continue }
                    try DatabaseRestore.finishOrRemove(claimed)
                }
                unlink(entry)
            }
        }
    }

    private func makeScratchRoot() throws(TandemError) {
        guard mkdir(scratchRoot, 0o700) == 0 || errno == EEXIST else {
            throw .io(path: scratchRoot, reason: String(cString: strerror(errno)))
        }
    }

    static func names(in folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }
}
