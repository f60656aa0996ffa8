import GRDB

/// What stamps this device's local writes — its write counter (its entry in
/// version vectors) and its hybrid logical clock — read once and written
/// back once for a batch of writes in one transaction.
///
/// A single write reads and writes both in the store's meta table; an
/// import of 100,000 entries doing that per entry spent a third of its time
/// there. Inside one transaction nothing else can move them meanwhile.
struct LocalStamps {
    let me: DeviceID
    private var counter: UInt64
    private var clock: HybridLogicalClock
    /// Whether a stamp was taken since the values were read.
    private var taken = false

    init(_ db: Database, me: DeviceID) throws {
        self.me = me
        counter = try StoreMeta.number(db, .writeCounter, as: UInt64.self) ?? 0
        clock = try DeviceStore.loadClock(db)
    }

    /// The next write's counter and time.
    mutating func next(now: Int64) -> (counter: UInt64, timestamp: HLCTimestamp) {
        counter += 1
        taken = true
        return (counter, clock.tick(now: now))
    }

    /// One stamp, read and written back at once: for a write that other
    /// code in the same transaction may follow with stamps of its own.
    static func single(_ db: Database, me: DeviceID, now: Int64) throws -> (counter: UInt64, timestamp: HLCTimestamp) {
        var stamps = try LocalStamps(db, me: me)
        let stamp = stamps.next(now: now)
        try stamps.save(db)
        return stamp
    }

    /// Writes the counter and the clock back, if a stamp was taken.
    func save(_ db: Database) throws {
        guard taken else { return }
        try StoreMeta.set(db, .writeCounter, String(counter))
        try DeviceStore.saveClock(db, clock)
    }
}
