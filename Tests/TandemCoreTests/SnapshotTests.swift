import Foundation
import GRDB
import Testing
@testable import TandemCore

/// Folder snapshots on real folders and an encrypted vault: what comes back
/// is what went in, incremental snapshots write only new chunks, and hostile
/// or damaged input is refused with its path.
@Suite struct SnapshotTests {
    /// A device of an encrypted world, with a home so that it has a store folder.
    private func device() throws -> (TestWorld, Device) {
        let world = try TestWorld(encrypted: true)
        let home = DeviceHome(root: world.folder.url.appendingPathComponent("home"))
        let device = try home.createDevice(name: "laptop", vaultPath: world.vault.root, credential: .passphrase(TestWorld.passphrase))
        return (world, device)
    }

    /// Incompressible bytes, from the kernel (a byte-by-byte generator is slow in debug builds).
    private func random(_ count: Int) -> Data {
        let handle = FileHandle(forReadingAtPath: "/dev/urandom")!
        defer { try? handle.close() }
        return handle.readData(ofLength: count)
    }

    /// Every path under `root` with what must survive a round trip.
    private func describe(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let tree = try FileTree.scan(root)
        for node in tree.nodes {
            let full = node.path.isEmpty ? root : root + "/" + node.path
            var text = "\(node.kind) \(String(node.mode, radix: 8))"
            switch node.kind {
            case .file:
                text += " \(node.mtime).\(node.mtimeNanos) " + Digest.hex(Digest.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: full)))))
            case .symlink:
                text += " -> " + (node.target ?? "?")
            case .directory:
                text += node.path.isEmpty ? "" : " \(node.mtime).\(node.mtimeNanos)"
            }
            result[node.path] = text
        }
        return result
    }

    private func makeTree(_ root: URL) throws {
        let manager = FileManager.default
        for folder in ["a/b/c", "empty", "spaced name", "ünïcödé"] {
            try manager.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try random(9 * 1024 * 1024 + 123).write(to: root.appendingPathComponent("a/large.bin"))
        try Data(String(repeating: "compressible text ", count: 50_000).utf8).write(to: root.appendingPathComponent("a/b/text.txt"))
        try Data().write(to: root.appendingPathComponent("a/b/c/empty-file"))
        try Data("with a newline".utf8).write(to: root.appendingPathComponent("spaced name/line\nbreak.txt"))
        try Data("utf8".utf8).write(to: root.appendingPathComponent("ünïcödé/файл ✓.txt"))
        try Data("secret".utf8).write(to: root.appendingPathComponent("private.key"))
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: root.appendingPathComponent("private.key").path)
        try Data("#!/bin/sh\n".utf8).write(to: root.appendingPathComponent("run.sh"))
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent("run.sh").path)
        try manager.setAttributes([.posixPermissions: 0o750], ofItemAtPath: root.appendingPathComponent("a/b").path)
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("link-to-text").path, withDestinationPath: "a/b/text.txt")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("dangling").path, withDestinationPath: "/nowhere/at/all")
        try manager.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_600_000_000.123456)],
                                  ofItemAtPath: root.appendingPathComponent("a/b/text.txt").path)
        #expect(mkfifo(root.appendingPathComponent("a/fifo").path, 0o600) == 0)
    }

    @Test func aFolderComesBackIdentical() throws {
        let (world, device) = try device()
        let store = device.store
        let source = world.folder.url.appendingPathComponent("source")
        try makeTree(source)
        let result = try device.snapshots.createSnapshot(of: source.path)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.skippedSpecial == 1)
        #expect(result.fileCount == 7)
        #expect(result.bytesWritten < result.bytesProcessed, "the text should have been compressed")
        // The fifo is not restored: compare without it, and with its folder's time as the snapshot saw it.
        let folder = source.appendingPathComponent("a").path
        let seen = try #require(FileStatus(folder))
        try FileManager.default.removeItem(at: source.appendingPathComponent("a/fifo"))
        var times = [timespec(tv_sec: Int(seen.mtime), tv_nsec: Int(seen.mtimeNanos)), timespec(tv_sec: Int(seen.mtime), tv_nsec: Int(seen.mtimeNanos))]
        #expect(utimensat(AT_FDCWD, folder, &times, 0) == 0)
        let target = world.folder.path("restored")
        let restored = try device.snapshots.restoreSnapshot(try #require(result.snapshotID), to: target)
        #expect(restored.status == 0, "\(restored.errors)")
        let expected = try describe(source.path), actual = try describe(target)
        #expect(expected.count == 16)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (path, text) in expected { #expect(actual[path] == text, "\(path)") }
        #expect(try device.snapshots.verifySnapshot(try #require(result.snapshotID), readData: true).status == 0)
        #expect(try store.snapshotRecords().map(\.status) == ["completed"])
    }

    @Test func afterChangingOnePercentOnlyTheNewChunksAreWritten() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        for index in 0..<100 { try random(64 * 1024).write(to: source.appendingPathComponent("file-\(index).bin")) }
        let first = try device.snapshots.createSnapshot(of: source.path)
        #expect(first.chunksWritten == 100)
        #expect(first.filesUnchanged == 0)

        try random(64 * 1024).write(to: source.appendingPathComponent("file-42.bin"))
        let second = try device.snapshots.createSnapshot(of: source.path)
        #expect(second.filesUnchanged == 99)
        #expect(second.chunksWritten == 1)
        #expect(second.bytesProcessed == 64 * 1024)
        #expect(second.bytesWritten > 64 * 1024 && second.bytesWritten < 64 * 1024 + 100, "\(second.bytesWritten)")
        let manifest = try device.snapshots.snapshot(try #require(second.snapshotID))
        #expect(manifest.parent == first.snapshotID)

        // --full reads everything again but still writes nothing it has.
        let full = try device.snapshots.createSnapshot(of: source.path, options: SnapshotOptions(full: true))
        #expect(full.filesUnchanged == 0)
        #expect(full.chunksWritten == 0)
        #expect(full.bytesProcessed == 100 * 64 * 1024)
    }

    /// An edit early in a large file moves only the chunks around it.
    @Test func anInsertionInALargeFileRewritesFewChunks() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        var bytes = random(24 * 1024 * 1024)
        try bytes.write(to: source.appendingPathComponent("big.bin"))
        let first = try device.snapshots.createSnapshot(of: source.path)
        bytes.insert(contentsOf: Data("inserted".utf8), at: 3 * 1024 * 1024)
        try bytes.write(to: source.appendingPathComponent("big.bin"))
        let second = try device.snapshots.createSnapshot(of: source.path)
        #expect(first.chunksWritten >= 8)
        #expect(second.chunksWritten <= 2, "\(second.chunksWritten) of \(first.chunksWritten) chunks rewritten")
    }

    @Test func aManifestThatEscapesTheTargetIsRefusedAndWritesNothing() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: source.appendingPathComponent("ok.txt"))
        let id = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        let vault = try device.vault()
        for bad in ["../escaped.txt", "/etc/escaped", "a/../../escaped.txt", "link/inside.txt"] {
            var manifest = try vault.readManifest(id)
            manifest.id = SnapshotService.newSnapshotID()
            var node = manifest.nodes.first { $0.kind == .file }!
            node.path = bad
            manifest.nodes.append(node)
            if bad.hasPrefix("link/") {
                manifest.nodes.append(SnapshotNode(path: "link", kind: .symlink, mode: 0o777, mtime: 0, mtimeNanos: 0, size: 0, inode: 0, ctime: 0, ctimeNanos: 0,
                                                   chunks: nil, target: world.folder.url.path))
            }
            try vault.writeManifest(manifest)
            let target = world.folder.path("target-\(manifest.id)")
            #expect(throws: TandemError.self) { try device.snapshots.restoreSnapshot(manifest.id, to: target) }
            #expect(!FileManager.default.fileExists(atPath: world.folder.path("escaped.txt")))
            #expect(!FileManager.default.fileExists(atPath: world.folder.path("inside.txt")))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).isEmpty)
        }
    }

    @Test func aDamagedChunkIsNamedByVerifyAndByRestore() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try random(1000).write(to: source.appendingPathComponent("one.bin"))
        let id = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        let manifest = try device.snapshots.snapshot(id)
        let address = try #require(manifest.nodes.first { $0.kind == .file }?.chunks?.first)
        let path = try #require(try device.vault().objects().packURL(holding: address)).path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // The pack holds this one object first: flip a byte of it, not of the table of contents.
        bytes[40] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))

        #expect(try device.snapshots.verifySnapshot(id, readData: false).status == 0)
        let verified = try device.snapshots.verifySnapshot(id, readData: true)
        #expect(verified.status == 2)
        #expect(verified.errors.first?.hasPrefix("one.bin: \(path)") == true, "\(verified.errors)")
        let restored = try device.snapshots.restoreSnapshot(id, to: world.folder.path("restored"))
        #expect(restored.status == 1)
        #expect(restored.errors.first?.contains(path) == true, "\(restored.errors)")
        #expect(throws: TandemError.noSuchSnapshot("0123456789abcdef")) { try device.snapshots.snapshot("0123456789abcdef") }
    }

    /// A manifest that arrived before its packs (a synced folder still
    /// copying): the list says it is not complete here, a restore refuses
    /// before it writes anything, and once the pack is there it restores.
    @Test func aSnapshotWhosePacksHaveNotArrivedIsRefusedAndWritesNothing() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try random(1000).write(to: source.appendingPathComponent("one.bin"))
        try Data("two".utf8).write(to: source.appendingPathComponent("two.txt"))
        let id = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        let manifest = try device.snapshots.snapshot(id)
        let address = try #require(manifest.nodes.first { $0.kind == .file }?.chunks?.first)
        let pack = try #require(try device.vault().objects().packURL(holding: address))
        let away = world.folder.url.appendingPathComponent("pack-in-transit")
        try FileManager.default.moveItem(at: pack, to: away)

        #expect(try device.snapshots.missingChunks(of: [manifest])[id] == 2)
        let target = world.folder.path("restored")
        #expect(throws: TandemError.snapshotNotArrived(id: id, missing: 2, chunks: 2)) { try device.snapshots.restoreSnapshot(id, to: target) }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(TandemError.snapshotNotArrived(id: id, missing: 2, chunks: 2).description.contains("may still be replicating"))

        try FileManager.default.moveItem(at: away, to: pack)
        #expect(try device.snapshots.missingChunks(of: [manifest]).isEmpty)
        let restored = try device.snapshots.restoreSnapshot(id, to: target)
        #expect(restored.status == 0, "\(restored.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/two.txt")) == Data("two".utf8))
    }

    /// Each compression setting stores what it says, and every one restores
    /// the same bytes.
    @Test func compressionSettingsStoreWhatTheySayAndRestoreTheSame() throws {
        // Prose-like: words of a small vocabulary in a seeded order.
        let words = "the vault keeps every device notes and photos while a friend travels with music budget recipes".split(separator: " ")
        var state: UInt64 = 7
        let text = (0..<40_000).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return words[Int(state >> 33) % words.count]
        }.joined(separator: " ")
        var written: [Compression: Int64] = [:]
        for compression in Compression.allCases {
            // A vault each: the same content in one vault would be stored once.
            let (world, device) = try device()
            let source = world.folder.url.appendingPathComponent("source")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: source.appendingPathComponent("notes.txt"))
            let result = try device.snapshots.createSnapshot(of: source.path, options: SnapshotOptions(compression: compression))
            #expect(result.chunksWritten == 1, "\(compression): \(result)")
            written[compression] = result.bytesWritten
            let target = world.folder.path("restored")
            #expect(try device.snapshots.restoreSnapshot(try #require(result.snapshotID), to: target).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/notes.txt")) == Data(text.utf8))
        }
        let size = Int64(text.utf8.count)
        #expect(try #require(written[.off]) > size, "stored as it is, with its seal")
        #expect(try #require(written[.fast]) * 4 < size)
        #expect(try #require(written[.standard]) < (try #require(written[.fast])), "\(written)")
        #expect(try #require(written[.max]) < (try #require(written[.standard])), "\(written)")
    }

    /// Hard links come back as links, read and stored once; restoring only
    /// one of the names gives a copy; a manifest whose link names no file of
    /// the snapshot is refused.
    @Test func hardLinksComeBackAsLinks() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("other"), withIntermediateDirectories: true)
        try random(5000).write(to: source.appendingPathComponent("first.bin"))
        #expect(link(source.appendingPathComponent("first.bin").path, source.appendingPathComponent("other/second.bin").path) == 0)
        let result = try device.snapshots.createSnapshot(of: source.path)
        #expect(result.chunksWritten == 1 && result.bytesProcessed == 5000, "\(result)")
        let id = try #require(result.snapshotID)
        let manifest = try device.snapshots.snapshot(id)
        #expect(manifest.nodes.first { $0.path == "other/second.bin" }?.hardLink == "first.bin")

        let target = world.folder.path("restored")
        #expect(try device.snapshots.restoreSnapshot(id, to: target).status == 0)
        let a = try #require(FileStatus(target + "/first.bin")), b = try #require(FileStatus(target + "/other/second.bin"))
        #expect(a.inode == b.inode && a.links == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/other/second.bin")) == Data(contentsOf: source.appendingPathComponent("first.bin")))

        let part = world.folder.path("part")
        #expect(try device.snapshots.restoreSnapshot(id, to: part, subpath: "other").status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: part + "/other/second.bin")) == Data(contentsOf: source.appendingPathComponent("first.bin")))
        #expect(try #require(FileStatus(part + "/other/second.bin")).links == 1)

        var hostile = manifest
        hostile.id = SnapshotService.newSnapshotID()
        hostile.nodes = hostile.nodes.map { node in
            var node = node
            if node.hardLink != nil { node.hardLink = "../../outside.bin" }
            return node
        }
        try device.vault().writeManifest(hostile)
        #expect(throws: TandemError.self) { try device.snapshots.restoreSnapshot(hostile.id, to: world.folder.path("hostile")) }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: world.folder.path("hostile"))) ?? []).isEmpty)
    }

    /// A file replaced (an atomic save) or removed between the scan and the
    /// read does not take its other names with it: they are read on their own.
    @Test func otherNamesOfAFileReplacedOrRemovedAfterTheScanAreReadOnTheirOwn() throws {
        let (world, _) = try device()
        for removing in [false, true] {
            let source = world.folder.url.appendingPathComponent("source-\(removing)")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            let first = source.appendingPathComponent("a.bin"), second = source.appendingPathComponent("b.bin")
            let original = random(3000)
            try original.write(to: first)
            #expect(link(first.path, second.path) == 0)
            var tree = try FileTree.scan(source.path)
            #expect(tree.nodes.first { $0.path == "b.bin" }?.hardLink == "a.bin")
            if removing {
                try FileManager.default.removeItem(at: first)
            } else {
                try random(3000).write(to: source.appendingPathComponent("a.tmp"))
                #expect(rename(source.appendingPathComponent("a.tmp").path, first.path) == 0)
            }
            let objects = try world.vault.objects()
            let writer = SnapshotWriter(objects: objects, source: source.path, isSingleFile: false, concurrency: 2)
            let (_, failure) = writer.write(&tree, parent: [:]) { _ in }
            #expect(failure == nil)
            try objects.finish()
            let b = try #require(tree.nodes.first { $0.path == "b.bin" })
            #expect(b.hardLink == nil && b.chunks?.count == 1, "\(b)")
            #expect(try world.vault.objects().read(try #require(b.chunks?.first)) == Array(original))
        }
        // Replaced, and its other name gone too: that name is left out, not linked to the new content.
        let source = world.folder.url.appendingPathComponent("source-both")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try random(3000).write(to: source.appendingPathComponent("a.bin"))
        #expect(link(source.appendingPathComponent("a.bin").path, source.appendingPathComponent("b.bin").path) == 0)
        var tree = try FileTree.scan(source.path)
        try random(3000).write(to: source.appendingPathComponent("a.tmp"))
        #expect(rename(source.appendingPathComponent("a.tmp").path, source.appendingPathComponent("a.bin").path) == 0)
        try FileManager.default.removeItem(at: source.appendingPathComponent("b.bin"))
        let objects = try world.vault.objects()
        let (result, failure) = SnapshotWriter(objects: objects, source: source.path, isSingleFile: false, concurrency: 1).write(&tree, parent: [:]) { _ in }
        #expect(failure == nil)
        #expect(tree.nodes.map(\.path) == ["", "a.bin"], "\(tree.nodes.map(\.path))")
        #expect(result.errors.contains { $0.contains("b.bin") }, "\(result.errors)")
    }

    /// Restoring a folder that holds two names of a file whose own name is
    /// elsewhere gives one copy and a link to it.
    @Test func aPartialRestoreKeepsTheLinkBetweenTheNamesItRestores() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("z"), withIntermediateDirectories: true)
        try random(2000).write(to: source.appendingPathComponent("a.bin"))
        #expect(link(source.appendingPathComponent("a.bin").path, source.appendingPathComponent("z/one.bin").path) == 0)
        #expect(link(source.appendingPathComponent("a.bin").path, source.appendingPathComponent("z/two.bin").path) == 0)
        let id = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        #expect(try device.snapshots.snapshot(id).bytes == 2000, "a file's other names are not counted again")
        let part = world.folder.path("part")
        let restored = try device.snapshots.restoreSnapshot(id, to: part, subpath: "z")
        #expect(restored.status == 0 && restored.fileCount == 2, "\(restored)")
        let one = try #require(FileStatus(part + "/z/one.bin")), two = try #require(FileStatus(part + "/z/two.bin"))
        #expect(one.inode == two.inode && one.links == 2)
    }

    /// A name that is not UTF-8 cannot be written into the manifest: the file
    /// is left out, and the error says why instead of "no such file".
    @Test func aNameThatIsNotUTF8IsLeftOutAndSaysWhy() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: source.appendingPathComponent("good.txt"))
        var name = Array(source.path.utf8CString.dropLast()) + Array("/bad".utf8CString.dropLast())
        name += [CChar(bitPattern: 0xFF), CChar(bitPattern: 0xFE), 0]
        let fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        close(fd)
        let result = try device.snapshots.createSnapshot(of: source.path)
        #expect(result.status == 1 && result.fileCount == 1, "\(result)")
        #expect(result.errors.count == 1 && result.errors[0].contains("not UTF-8"), "\(result.errors)")
    }

    /// A pack that holds an object still needed and one no longer needed is
    /// rewritten with the first only; what a killed writer left goes too.
    @Test func pruneRewritesAPackThatHoldsObjectsNoLongerNeeded() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try random(3000).write(to: source.appendingPathComponent("gone.bin"))
        try random(3000).write(to: source.appendingPathComponent("kept.bin"))
        _ = try device.snapshots.createSnapshot(of: source.path)
        let packs = world.vault.root.appendingPathComponent("packs")
        func packFiles() -> [String] {
            (FileManager.default.enumerator(atPath: packs.path)?.allObjects as? [String] ?? []).filter { $0.count == 67 }
        }
        #expect(packFiles().count == 1)
        let leftover = try #require(packFiles().first).prefix(2) + "/" + AtomicFile.temporaryPrefix + "killed"
        try random(100).write(to: packs.appendingPathComponent(String(leftover)))
        try FileManager.default.removeItem(at: source.appendingPathComponent("gone.bin"))
        let last = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        _ = try device.snapshots.forgetSnapshots(RetentionPolicy(last: 1))

        let dry = try device.snapshots.pruneObjects(grace: 0, dryRun: true)
        #expect(dry.objectsCondemned == 1 && dry.packsCondemned == 1 && dry.objectsRemoved == 0, "\(dry)")
        #expect(packFiles().count == 1 && FileManager.default.fileExists(atPath: packs.appendingPathComponent(String(leftover)).path))
        var real = try device.snapshots.pruneObjects(grace: 0)
        real.nextRemovalMillis = dry.nextRemovalMillis
        #expect(real == dry, "the dry run did not say what the prune did")
        #expect(try device.snapshots.pruneObjects(grace: 0, dryRun: true).packsRewritten == 1)
        let pruned = try device.snapshots.pruneObjects(grace: 0)
        #expect(pruned.objectsRemoved == 1 && pruned.packsRewritten == 1 && pruned.packsRemoved == 0, "\(pruned)")
        #expect(packFiles().count == 1)
        #expect(!FileManager.default.fileExists(atPath: packs.appendingPathComponent(String(leftover)).path))
        #expect(try device.snapshots.pruneObjects(grace: 0).objectsRemoved == 0)
        #expect(try device.snapshots.verifySnapshot(last, readData: true).status == 0)
        let target = world.folder.path("restored")
        #expect(try device.snapshots.restoreSnapshot(last, to: target).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/kept.bin")) == Data(contentsOf: source.appendingPathComponent("kept.bin")))
    }

    /// A pack whose table of contents is damaged is named by verify, and the
    /// next snapshot writes its objects again instead of trusting it.
    @Test func aDamagedPackIsNamedAndItsObjectsWrittenAgain() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try random(3000).write(to: source.appendingPathComponent("one.bin"))
        let first = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        let address = try #require(try device.snapshots.snapshot(first).nodes.first { $0.kind == .file }?.chunks?.first)
        let path = try #require(try device.vault().objects().packURL(holding: address)).path
        try truncate(path, by: 1)

        let verified = try device.snapshots.verifySnapshot(first, readData: false)
        #expect(verified.status == 2)
        #expect(verified.errors.contains { $0.hasPrefix(path) && $0.contains("trailer") }, "\(verified.errors)")
        let second = try device.snapshots.createSnapshot(of: source.path)
        #expect(second.status == 0 && second.filesUnchanged == 0 && second.chunksWritten == 1, "\(second)")
        #expect(try device.snapshots.verifySnapshot(try #require(second.snapshotID), readData: true).status == 0)
        #expect(try device.snapshots.verifySnapshot(first, readData: true).status == 0, "the same object, in the new pack")
    }

    /// A prune on another device can remove a pack while a backup runs: an
    /// object found in it before is written again, a pack reused earlier
    /// fails the backup at its end instead of being named, and a pack
    /// touched while the prune rewrote others is not removed.
    @Test func aPackPrunedDuringABackupIsNeverNamedByIt() throws {
        let (world, _) = try device()
        let vault = world.vault
        let first = Array("a chunk of the first backup".utf8), second = Array("a chunk of the second backup".utf8)
        let writer = try vault.objects()
        try writer.store(first)
        try writer.finish()
        let packOfFirst = try #require(try vault.objects().packURL(holding: vault.objectAddress(of: first)))

        let backup = try vault.objects()
        try FileManager.default.removeItem(at: packOfFirst)
        #expect(try backup.store(first).written > 0, "a pack removed since the tables were read was trusted")
        try backup.finish()
        #expect(try vault.objects().read(vault.objectAddress(of: first)) == first)

        let reusing = try vault.objects()
        #expect(try reusing.store(first).written == 0)
        let reused = try #require(try vault.objects().packURL(holding: vault.objectAddress(of: first)))
        try FileManager.default.removeItem(at: reused)
        #expect {
            try reusing.finish()
        } throws: { error in
            (error as? TandemError)?.description.contains(reused.path) == true
        }

        let old = try vault.objects()
        try old.store(second)
        try old.finish()
        let packOfSecond = try #require(try vault.objects().packURL(holding: vault.objectAddress(of: second)))
        // Every pack is two hours old; the prune drops them all, unless one is touched meanwhile.
        let packFiles = (FileManager.default.enumerator(atPath: vault.root.appendingPathComponent("packs").path)?.allObjects as? [String] ?? [])
            .filter { $0.count == 67 }.map { vault.root.appendingPathComponent("packs/" + $0).path }
        let twoHoursAgo = Int(Date().timeIntervalSince1970) - 7200
        for path in packFiles {
            var times = [timespec(tv_sec: twoHoursAgo, tv_nsec: 0), timespec(tv_sec: twoHoursAgo, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
        let pruner = try #require(DeviceID(validating: "00000000000000aa"))
        let condemned = try vault.objects().prune(referenced: [], grace: 3600, dryRun: false, device: pruner)
        #expect(condemned.packsCondemned == packFiles.count && condemned.packsRemoved == 0, "\(condemned)")
        let count = try vault.objects().prune(referenced: [], grace: 3600, dryRun: false, device: pruner, now: Date().addingTimeInterval(3601)) {
            // A backup elsewhere that had not seen the record reuses the chunk now.
            utimes(packOfSecond.path, nil)
        }
        #expect(FileManager.default.fileExists(atPath: packOfSecond.path), "a pack touched during the prune was removed")
        #expect(count.packsCondemned == 1 && count.packsRemoved == packFiles.count - 1, "\(count)")
        #expect(packFiles.filter { FileManager.default.fileExists(atPath: $0) } == [packOfSecond.path])
    }

    /// A pack that could not be written loses its objects: the store says so
    /// at every later call instead of reporting them stored.
    @Test func aPackThatCannotBeWrittenFailsEveryLaterCall() throws {
        let (world, _) = try device()
        let vault = world.vault
        let packs = vault.root.appendingPathComponent("packs")
        try? FileManager.default.removeItem(at: packs)
        try Data().write(to: packs)
        let objects = try vault.objects()
        try objects.store(Array("lost".utf8))
        #expect(throws: TandemError.self) { try objects.finish() }
        #expect(throws: TandemError.self) { try objects.finish() }
        #expect(throws: TandemError.self) { try objects.store(Array("after".utf8)) }
    }

    /// Chunks an earlier development build kept one file each are named,
    /// not silently missing.
    @Test func theOldOneFilePerChunkLayoutIsNamed() throws {
        let (world, _) = try device()
        try FileManager.default.createDirectory(at: world.vault.root.appendingPathComponent("objects/ab"), withIntermediateDirectories: true)
        let missing = String(repeating: "ab", count: 32)
        #expect {
            try world.vault.objects().read(missing)
        } throws: { error in
            (error as? TandemError)?.description.contains("one-file-per-chunk layout") == true
        }
    }

    private func truncate(_ path: String, by count: Int) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.dropLast(count).write(to: URL(fileURLWithPath: path))
    }

    @Test func forgetKeepsWhatThePolicySaysAndPruneSparesYoungChunks() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        var ids: [String] = []
        for round in 0..<4 {
            try random(2000).write(to: source.appendingPathComponent("file-\(round).bin"))
            ids.append(try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID))
        }
        #expect(try device.snapshots.snapshotSummaries().summaries == device.snapshots.snapshots().manifests.map(SnapshotSummary.init))
        let forgotten = try device.snapshots.forgetSnapshots(RetentionPolicy(last: 2))
        #expect(Set(forgotten.forgotten) == Set(ids.prefix(2)))
        #expect(try device.snapshots.snapshotSummaries().summaries.map(\.id) == ids.suffix(2), "a forgotten snapshot is still listed")
        #expect(Set(forgotten.kept) == Set(ids.suffix(2)))
        // Every chunk is still referenced by the snapshots kept (files only grew).
        let young = try device.snapshots.pruneObjects(grace: 0)
        #expect(young.objectsRemoved == 0)
        try FileManager.default.removeItem(at: source.appendingPathComponent("file-0.bin"))
        let last = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        _ = try device.snapshots.forgetSnapshots(RetentionPolicy(last: 1))
        let spared = try device.snapshots.pruneObjects()
        #expect(spared.objectsRemoved == 0)
        #expect(spared.objectsSpared == 1)
        #expect(try device.snapshots.pruneObjects(grace: 0).objectsCondemned == 1)
        let pruned = try device.snapshots.pruneObjects(grace: 0)
        #expect(pruned.objectsRemoved == 1)
        #expect(try device.snapshots.verifySnapshot(last, readData: true).status == 0)
        #expect(try device.snapshots.restoreSnapshot(last, to: world.folder.path("restored")).status == 0)
    }

    /// A vault that cannot take the chunks makes the snapshot fail: no
    /// manifest, the record says failed, and the last good one stays.
    @Test func aVaultWriteFailureFailsTheSnapshot() throws {
        let (world, device) = try device()
        let store = device.store
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try random(5000).write(to: source.appendingPathComponent("a.bin"))
        let good = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        try random(5000).write(to: source.appendingPathComponent("b.bin"))
        let packs = world.vault.root.appendingPathComponent("packs")
        try FileManager.default.removeItem(at: packs)
        try Data().write(to: packs)
        #expect(throws: TandemError.self) { try device.snapshots.createSnapshot(of: source.path) }
        #expect(try device.vault().snapshotIDs() == [good])
        #expect(try store.snapshotRecords().map(\.status) == ["failed", "completed"])
    }

    /// An unchanged file whose chunk went missing is read again, so the new
    /// snapshot is whole; a rewrite that puts the old mtime back is seen.
    @Test func incrementalSnapshotsDoNotTrustWhatChanged() throws {
        let (world, device) = try device()
        let source = world.folder.url.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let kept = source.appendingPathComponent("kept.bin"), edited = source.appendingPathComponent("edited.txt")
        try random(3000).write(to: kept)
        try Data("hello".utf8).write(to: edited)
        let first = try #require(try device.snapshots.createSnapshot(of: source.path).snapshotID)
        let address = try #require(try device.snapshots.snapshot(first).nodes.first { $0.path == "kept.bin" }?.chunks?.first)
        try FileManager.default.removeItem(at: try #require(try device.vault().objects().packURL(holding: address)))
        let seen = try #require(FileStatus(edited.path))
        Thread.sleep(forTimeInterval: 0.01)
        try Data("HELLO".utf8).write(to: edited)
        var times = [timespec(tv_sec: Int(seen.mtime), tv_nsec: Int(seen.mtimeNanos)), timespec(tv_sec: Int(seen.mtime), tv_nsec: Int(seen.mtimeNanos))]
        #expect(utimensat(AT_FDCWD, edited.path, &times, 0) == 0)

        let second = try device.snapshots.createSnapshot(of: source.path)
        #expect(second.filesUnchanged == 0, "\(second)")
        let id = try #require(second.snapshotID)
        #expect(try device.snapshots.verifySnapshot(id, readData: true).status == 0)
        let target = world.folder.path("restored")
        #expect(try device.snapshots.restoreSnapshot(id, to: target).status == 0)
        #expect(try String(contentsOfFile: target + "/edited.txt", encoding: .utf8) == "HELLO")
    }

    /// The device's own store is backed up like any app database, while it is open.
    @Test func theDevicesOwnStoreIsBackedUpWhileOpen() throws {
        let (world, device) = try device()
        let store = device.store
        try store.write(context: "friends", key: "alice", value: #"{"age":30}"#)
        let id = try #require(try device.snapshots.backupDatabase(at: store.path).snapshotID)
        let copy = world.folder.path("store-copy.sqlite")
        _ = try device.snapshots.restoreDatabase(id, to: copy, force: false)
        let restored = try DeviceStore.open(at: copy)
        #expect(try restored.entry(context: "friends", key: "alice")?.value == #"{"age":30}"#)
        #expect(try restored.info().id == store.info().id)
    }

    /// A database whose pages are damaged is copied page for page by the
    /// backup API, but the check that runs beside the snapshot fails it: no
    /// manifest, and the record says why.
    @Test func aDamagedDatabaseGetsNoSnapshot() throws {
        let (world, device) = try device()
        let store = device.store
        let database = world.folder.path("damaged.sqlite")
        let queue = try DatabaseQueue(path: database)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (x TEXT)")
            for index in 0..<2000 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: ["row \(index) " + String(repeating: "x", count: 200)]) }
        }
        try queue.close()
        // Garbage over the b-tree header of page 5, a leaf of table t.
        let handle = try #require(FileHandle(forWritingAtPath: database))
        try handle.seek(toOffset: 4 * 4096)
        try handle.write(contentsOf: Data(repeating: 0x7F, count: 64))
        try handle.close()

        #expect {
            try device.snapshots.backupDatabase(at: database)
        } throws: { error in
            (error as? TandemError)?.description.contains("fails SQLite's check") == true
        }
        #expect(try device.vault().snapshotIDs().isEmpty)
        let record = try #require(try store.snapshotRecords().first)
        #expect(record.status == "failed" && record.message?.contains("fails SQLite's check") == true, "\(record)")
    }

    /// Stores made before the snapshot table was numbered v4 (it was v3 for
    /// a while) still open.
    @Test func aStoreWithTheSnapshotTableUnderItsOldMigrationNameOpens() throws {
        let (world, device) = try device()
        let store = device.store
        defer { withExtendedLifetime(world) {} }
        let path = store.path
        try store.close()
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4-snapshots'")
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v3-snapshots')")
        }
        try queue.close()
        let reopened = try DeviceStore.open(at: path)
        #expect(try reopened.snapshotRecords().isEmpty)
    }

    @Test func aDatabaseOfAnotherOwnerIsNotRestored() throws {
        let (world, device) = try device()
        let database = world.folder.path("app.sqlite")
        let queue = try DatabaseQueue(path: database)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (x)")
            try db.execute(sql: "INSERT INTO t VALUES (1), (2)")
        }
        try queue.close()
        let id = try #require(try device.snapshots.backupDatabase(at: database).snapshotID)
        let ages = try device.snapshots.databaseAges(of: database)
        #expect(ages.backupAge >= 0 && ages.databaseAge >= 0)
        #expect(try device.snapshots.databaseAges(of: world.folder.path("none.sqlite")) == (backupAge: -1, databaseAge: -1))
        #expect(throws: TandemError.restoreRefused(path: database, reason: "exists; pass --force to replace it")) {
            try device.snapshots.restoreDatabase(id, to: database, force: false)
        }
        let vault = try device.vault()
        var foreign = try vault.readManifest(id)
        foreign.id = SnapshotService.newSnapshotID()
        foreign.owner = "mallory"
        try vault.writeManifest(foreign)
        #expect(throws: TandemError.ownerMismatch(path: vault.manifestURL(foreign.id).path, vaultOwner: "alice", requested: "mallory")) {
            try device.snapshots.restoreDatabase(foreign.id, to: world.folder.path("copy.sqlite"), force: false)
        }
        #expect(!FileManager.default.fileExists(atPath: world.folder.path("copy.sqlite")))
        _ = try device.snapshots.restoreDatabase(id, to: world.folder.path("copy.sqlite"), force: false)
        let copy = try DatabaseQueue(path: world.folder.path("copy.sqlite"))
        #expect(try copy.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 2)
    }
}

private typealias Store = DeviceStore
