/// The most bytes a reader takes from each kind of vault file (VaultFormat,
/// "Size limits"). Each limit follows from what a writer can put in such a
/// file, with room to spare, so an honest file always fits; anything larger
/// was not written by Tandem and is refused before it is read.
enum VaultFileLimit {
    /// A segment holds at most 1,000 changes; each is a value of at most
    /// 1 MiB and, around it, at most 64 KiB: kind, context (64 bytes), key
    /// (512), schema, timestamp, origin and a version vector of well over a
    /// thousand devices. A further 64 KiB holds the header, the sealing and
    /// the segment's own fields.
    static let segment = overhead + changesPerSegment * (Validation.defaultMaxValueBytes + overhead)

    /// A device's record: its name, times and the last seq it applied of
    /// every other device, about 40 bytes each, sealed (base64 adds a third).
    static let deviceRecord = 1 << 20

    /// A device's damage record: an entry of about 200 bytes per damaged
    /// copy of an object it found, sealed; 16 MiB is some 60,000 of them.
    static let damageRecord = 16 << 20

    /// A device's record of condemned packs: about 140 bytes a pack,
    /// sealed; 16 MiB is some 90,000 packs, 1.4 TiB of them.
    static let condemnationRecord = 16 << 20

    /// `vault.json`: fixed-size parameters and an owner of at most 256 bytes.
    static let descriptor = overhead

    /// A snapshot manifest expands to at most `Vault.manifestLimit` bytes of
    /// JSON; sealed, it is compressed (zstd adds a little to what does not
    /// compress), then base64 (a third more).
    static let manifest = Vault.manifestLimit / 3 * 4 + (1 << 20)

    /// A pack's sealed table: a pack is written once its objects reach
    /// 16 MiB, so it holds under 16 MiB of objects before its last one;
    /// every sealed object takes at least 34 bytes and 40 bytes of table:
    /// at most about 493,000 entries, under 20 MiB.
    static let packTable = 32 << 20

    /// At most this many changes per segment (VaultFormat, "Segment files").
    static let changesPerSegment = 1000

    private static let overhead = 64 << 10
}
