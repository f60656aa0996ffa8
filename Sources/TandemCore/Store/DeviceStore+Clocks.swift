import GRDB

/// A device whose clock this device found too far ahead of its own: its
/// versions keep their times, but this device's clock did not adopt them.
public struct ClockAhead: Sendable, Equatable {
    public var device: DeviceID
    /// The furthest time read from it, milliseconds since 1970 by its clock.
    public var wallMillis: Int64
    /// How far that time was ahead of this device's clock when read.
    public var aheadMillis: Int64
    /// When it was read, by this device's clock.
    public var seenAtMillis: Int64
}

extension DeviceStore {
    /// The devices whose clocks were seen more than
    /// `HybridLogicalClock.maxAheadMillis` ahead of this one's, furthest first.
    public func clocksAhead() throws(TandemError) -> [ClockAhead] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT device, wall, ahead, seen_at FROM clock_ahead ORDER BY ahead DESC, device").compactMap { row in
                guard let device = DeviceID(validating: row[0]) else { return nil }
                return ClockAhead(device: device, wallMillis: row[1], aheadMillis: row[2], seenAtMillis: row[3])
            }
        }
    }

    /// Records that `device` wrote a time of `wallMillis` while this
    /// device's clock said `now`; the furthest ahead is kept.
    func recordClockAhead(_ db: Database, device: DeviceID, wallMillis: Int64, now: Int64) throws {
        let ahead = wallMillis.subtractingReportingOverflow(now)
        try db.execute(sql: """
            INSERT INTO clock_ahead (device, wall, ahead, seen_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(device) DO UPDATE SET wall = excluded.wall, ahead = excluded.ahead, seen_at = excluded.seen_at
            WHERE excluded.ahead > clock_ahead.ahead
            """, arguments: [device.rawValue, wallMillis, ahead.overflow ? Int64.max : ahead.partialValue, now])
    }
}
