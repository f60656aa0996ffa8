/// A hole in another device's log where this device's reading stopped: the
/// segment after its cursor is not in the vault, though the device's record
/// says it pushed further.
public struct LogGap: Sendable, Equatable, Codable, CustomStringConvertible {
    public var device: DeviceID
    /// The device's name as its record gives it.
    public var name: String
    /// The seq this device waits at.
    public var missing: UInt64
    /// The last seq the device's record says it pushed.
    public var pushed: UInt64
    /// The highest seq of the device's log present in the vault.
    public var latest: UInt64
    /// True when the file at `missing` is there but does not open or follow.
    public var damaged: Bool
    /// The seq of a checkpoint that covers `missing` and that this copy of
    /// the vault has not received whole yet: the device compacted its log,
    /// and the segments it removed arrived before the checkpoint did.
    public var awaitedCheckpoint: UInt64?

    public init(device: DeviceID, name: String, missing: UInt64, pushed: UInt64, latest: UInt64, damaged: Bool = false,
                awaitedCheckpoint: UInt64? = nil) {
        self.device = device
        self.name = name
        self.missing = missing
        self.pushed = pushed
        self.latest = latest
        self.damaged = damaged
        self.awaitedCheckpoint = awaitedCheckpoint
    }

    /// True when the segment is damaged, or later segments of the device are
    /// in the vault: it is gone, not on its way (a vault restored from an
    /// older copy, a deleted file), and the device is asked to publish its
    /// writes again.
    public var isHole: Bool { awaitedCheckpoint == nil && (damaged || latest > missing) }

    public var description: String {
        if let awaitedCheckpoint {
            return "device \(Escaped.text(name)) (\(device)) folded its log up to segment \(awaitedCheckpoint) into a checkpoint that has not "
                + "arrived whole here yet (a synced folder still copying); reading \(Escaped.text(name)) goes on when it comes"
        }
        return damaged
            ? "segment \(missing) of device \(Escaped.text(name)) (\(device)) does not open here; reading \(Escaped.text(name)) "
              + "waits until it publishes its writes again, which its next sync does while it still syncs"
            : isHole
            ? "segment \(missing) of device \(Escaped.text(name)) (\(device)) is missing from the vault, and later ones are there; "
              + "reading \(Escaped.text(name)) waits until it publishes its writes again, which its next sync does while it still syncs"
            : "device \(Escaped.text(name)) (\(device)) pushed up to segment \(pushed), but the vault holds only up to \(latest) here; "
              + "the rest has not arrived (a synced folder still copying), or the vault was restored from an older copy"
    }
}
