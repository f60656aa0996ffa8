#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import TandemCore

/// The bounded, non-blocking read every vault file goes through.
@Suite struct VaultFileReadingTests {
    let folder = TemporaryFolder()

    @Test func aFileOfExactlyTheLimitIsReadAndOneByteMoreIsRefused() throws {
        let url = folder.url.appendingPathComponent("file")
        try Data(repeating: 7, count: 100).write(to: url)
        #expect(try AtomicFile.read(url, limit: 100) == [UInt8](repeating: 7, count: 100))
        #expect(throws: AtomicFile.Failure.self) { try AtomicFile.read(url, limit: 99) }
        do {
            _ = try AtomicFile.read(url, limit: 99)
        } catch {
            #expect(error.isRefusal)
            #expect(error.description == "\(url.path): larger than the limit of 99 bytes for its kind of file; not read")
        }
        #expect(try AtomicFile.read(folder.url.appendingPathComponent("missing"), limit: 10) == nil)
        #expect(try AtomicFile.readPrefix(url, count: 6) == [UInt8](repeating: 7, count: 6))
    }

    @Test func aFIFOAFolderAndADeviceAreRefusedWithoutBlocking() throws {
        let fifo = folder.path("fifo")
        try #require(mkfifo(fifo, 0o600) == 0)
        for (path, kind) in [(fifo, "a FIFO"), (folder.url.path, "a folder"), ("/dev/zero", "a character device")] {
            do {
                _ = try AtomicFile.read(URL(fileURLWithPath: path), limit: 1 << 20)
                Issue.record("\(path) was read")
            } catch {
                #expect(error.isRefusal)
                #expect(error.reason == "\(kind), not a regular file; not read")
            }
        }
    }

    /// The numbers VaultFormat's "Size limits" table gives.
    @Test func theLimitsAreTheDocumentedOnes() {
        #expect(VaultFileLimit.segment == 1_114_177_536)
        #expect(VaultFileLimit.manifest == 1_432_704_340)
        #expect(VaultFileLimit.deviceRecord == 1 << 20)
        #expect(VaultFileLimit.descriptor == 64 << 10)
        #expect(VaultFileLimit.packTable == 32 << 20)
    }
}
