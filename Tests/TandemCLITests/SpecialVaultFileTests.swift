#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// A vault folder is shared with other programs, so any of its names may
/// hold a FIFO (which blocks whoever opens it), a device file, or a sparse
/// file far larger than anything Tandem writes. Each is refused by path
/// without being read, the rest of the vault still syncs, and memory stays
/// small.
@Suite struct SpecialVaultFileTests {
    /// Far more than a sync of a few entries needs, far less than a 2 GiB file read whole.
    static let memoryCeiling = 300 << 20
    static let twoGiB: off_t = 2 << 30

    func id(_ cli: CLI, _ device: String) throws -> String {
        try #require((try cli.json("status", "--device", device) as? JSONObject)?["id"] as? String)
    }

    func segment(_ cli: CLI, _ id: String, _ seq: Int) -> String {
        cli.vault.appendingPathComponent("log/\(id)/" + String(format: "%012d.seg", seq)).path
    }

    func makeFIFO(_ path: String) throws {
        try #require(mkfifo(path, 0o600) == 0, "mkfifo \(path): \(String(cString: strerror(errno)))")
    }

    /// A file of `size` bytes that takes no disk space, ending with `tail`.
    func makeSparse(_ path: String, size: off_t, tail: [UInt8] = []) throws {
        try #require(FileManager.default.createFile(atPath: path, contents: nil))
        try #require(truncate(path, size) == 0)
        guard !tail.isEmpty else { return }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(size) - UInt64(tail.count))
        try handle.write(contentsOf: tail)
        try handle.close()
    }

    @Test func aFIFOOrAHugeSparseFileAtASegmentPathIsRefusedAndTheOtherLogsSync() throws {
        let cli = CLI()
        try cli.setUp(devices: ["fifo", "sparse", "good", "reader"])
        try cli.ok("put", "c", "from-fifo", "1", "--device", "fifo", "--sync")
        try cli.ok("put", "c", "from-sparse", "2", "--device", "sparse", "--sync")
        try cli.ok("put", "c", "from-good", "3", "--device", "good", "--sync")
        let fifo = segment(cli, try id(cli, "fifo"), 2)
        let sparse = segment(cli, try id(cli, "sparse"), 2)
        try makeFIFO(fifo)
        try makeSparse(sparse, size: Self.twoGiB)

        let sync = try MeasuredRun(cli, ["sync", "--device", "reader", "--policy", "accept"], seconds: 60)
        #expect(!sync.timedOut, "sync hung on \(fifo)")
        #expect(sync.status == 1, "\(sync.stderr)")
        #expect(sync.stderr.contains("\(fifo): corrupt segment, not applied: a FIFO, not a regular file"), "\(sync.stderr)")
        #expect(sync.stderr.contains("\(sparse): corrupt segment, not applied"), "\(sync.stderr)")
        #expect(sync.stderr.contains("larger than the limit of"), "\(sync.stderr)")
        #expect(sync.peakBytes < Self.memoryCeiling, "peak memory \(sync.peakBytes >> 20) MiB")
        for (key, value) in [("from-fifo", "1"), ("from-sparse", "2"), ("from-good", "3")] {
            #expect(try cli.ok("get", "c", key, "--device", "reader", "--compact") == value + "\n")
        }
        // The refused files are left as they were, for their owner to look at.
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        #expect(lstat(sparse, &info) == 0 && info.st_size == Self.twoGiB)
    }

    @Test func aFIFOOrAHugeSparseFileAmongDeviceRecordsIsNamedByDeviceList() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("sync")
        let devices = cli.vault.appendingPathComponent("devices")
        let fifo = devices.appendingPathComponent("00000000000000f1.json").path
        let sparse = devices.appendingPathComponent("00000000000000f2.json").path
        try makeFIFO(fifo)
        try makeSparse(sparse, size: Self.twoGiB)

        for arguments in [["device", "list"], ["status"], ["sync"]] {
            let run = try MeasuredRun(cli, arguments, seconds: 60)
            #expect(!run.timedOut, "\(arguments) hung on \(fifo)")
            #expect(run.peakBytes < Self.memoryCeiling, "\(arguments): peak memory \(run.peakBytes >> 20) MiB")
            if arguments != ["sync"] {
                #expect(run.stderr.contains("\(fifo): a FIFO, not a regular file"), "\(arguments): \(run.stderr)")
                #expect(run.stderr.contains("\(sparse): larger than the"), "\(arguments): \(run.stderr)")
            }
        }
    }

    @Test func aFIFOOrAHugeSparseFileInPlaceOfVaultJSONStopsTheSyncWithItsPath() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "c", "k", "1")
        let descriptor = cli.vault.appendingPathComponent("vault.json").path
        try FileManager.default.moveItem(atPath: descriptor, toPath: descriptor + ".saved")
        for reason in ["a FIFO, not a regular file", "larger than the limit of"] {
            if reason.contains("FIFO") { try makeFIFO(descriptor) } else { try makeSparse(descriptor, size: Self.twoGiB) }
            let sync = try MeasuredRun(cli, ["sync"], seconds: 60)
            #expect(!sync.timedOut, "sync hung on \(descriptor)")
            #expect(sync.status == 1)
            #expect(sync.stderr.contains("\(descriptor): not a valid vault file: \(reason)"), "\(sync.stderr)")
            #expect(sync.peakBytes < Self.memoryCeiling, "peak memory \(sync.peakBytes >> 20) MiB")
            try FileManager.default.removeItem(atPath: descriptor)
        }
        // Nothing was lost: with its vault.json back, the write is pushed.
        try FileManager.default.moveItem(atPath: descriptor + ".saved", toPath: descriptor)
        try cli.ok("sync")
        #expect((try cli.json("status") as? JSONObject)?["pushedSeq"] as? Int == 1)
    }

    @Test func aFIFOOrAHugeSparseFileAmongSnapshotsAndPacksIsRefused() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        let source = cli.root.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: source.appendingPathComponent("a.txt"))
        try cli.ok("snapshot", "create", source.path)
        let snapshots = cli.vault.appendingPathComponent("snapshots")
        let fifoManifest = snapshots.appendingPathComponent("00000000000000f1.json").path
        let sparseManifest = snapshots.appendingPathComponent("00000000000000f2.json").path
        try makeFIFO(fifoManifest)
        try makeSparse(sparseManifest, size: Self.twoGiB)
        let packs = cli.vault.appendingPathComponent("packs/ff")
        try FileManager.default.createDirectory(at: packs, withIntermediateDirectories: true)
        let fifoPack = packs.appendingPathComponent(String(repeating: "f", count: 64)).path
        let sparsePack = packs.appendingPathComponent("ff" + String(repeating: "e", count: 62)).path
        try makeFIFO(fifoPack)
        // Its trailer claims a table of almost 2 GiB, which the file does hold.
        try makeSparse(sparsePack, size: Self.twoGiB, tail: [0x7F, 0x00, 0x00, 0x00] + Array("TNDMPACK".utf8))

        let list = try MeasuredRun(cli, ["snapshot", "list"], seconds: 60)
        #expect(!list.timedOut, "snapshot list hung on \(fifoManifest)")
        #expect(list.peakBytes < Self.memoryCeiling, "snapshot list: peak memory \(list.peakBytes >> 20) MiB")
        #expect(list.stderr.contains("\(fifoManifest): damaged snapshot manifest: a FIFO, not a regular file"), "\(list.stderr)")
        #expect(list.stderr.contains("\(sparseManifest): damaged snapshot manifest: larger than the"), "\(list.stderr)")

        try Data("more".utf8).write(to: source.appendingPathComponent("b.txt"))
        let create = try MeasuredRun(cli, ["snapshot", "create", source.path], seconds: 60)
        #expect(!create.timedOut, "snapshot create hung on \(fifoPack)")
        #expect(create.status == 0, "\(create.stderr)")
        #expect(create.peakBytes < Self.memoryCeiling, "snapshot create: peak memory \(create.peakBytes >> 20) MiB")
    }
}
