#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Temporary files (`.tmp-*`) that a killed writer left in the vault.
extension Vault {
    /// How old a temporary file must be before it counts as left by a
    /// killed writer: no write takes a day.
    public static let leftoverAge: TimeInterval = 86_400

    /// Removes the `.tmp-*` files older than `age` from the folders `device`
    /// writes in: its own log, and the shared folders (vault root, device
    /// records, key files, snapshots, damage records, condemned packs, packs). Another device's log is
    /// left to that device. Returns the paths removed.
    @discardableResult
    func removeLeftovers(of device: DeviceID, olderThan age: TimeInterval = leftoverAge, now: Date = Date()) -> [String] {
        var folders = [root.path, devicesURL.path, keysURL.path, snapshotsURL.path, damageURL.path, condemnedURL.path, logFolder(of: device).path]
        folders += ((try? FileManager.default.contentsOfDirectory(atPath: packsURL.path)) ?? [])
            .filter { $0.count == 2 }.map { packsURL.appendingPathComponent($0).path }
        var removed: [String] = []
        for folder in folders {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(AtomicFile.temporaryPrefix) {
                let path = folder + "/" + name
                var status = stat()
                guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { continue }
                let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
                guard now.timeIntervalSince1970 - modified >= age, unlink(path) == 0 else { continue }
                removed.append(path)
            }
        }
        return removed
    }
}
