import Foundation

/// One thing wrong in the vault: the file at fault, what is wrong with it,
/// and the snapshots (and their files) it touches.
public struct VaultFinding: Sendable, Equatable {
    /// The vault file at fault: a pack, a manifest, a record.
    public var path: String
    public var problem: String
    public var touches: [SnapshotFiles]

    public init(path: String, problem: String, touches: [SnapshotFiles] = []) {
        self.path = path
        self.problem = problem
        self.touches = touches
    }
}

/// What `tandem check` read, for its summary.
public struct CheckTally: Sendable, Equatable {
    public var logs = 0
    public var records = 0
    public var checkpoints = 0
    public var segments = 0
    public var keyFiles = 0
    public var snapshots = 0
    public var packs = 0
    public var chunks = 0

    public init() {}
}

/// Files of one snapshot that a finding touches.
public struct SnapshotFiles: Sendable, Equatable {
    public var snapshot: String
    public var files: [String]
}

/// The objects a set of snapshots names, checked: present in a copy not
/// recorded damaged, and with `readData` read, opened and re-hashed.
struct ObjectCheck {
    let objects: ObjectStore
    let readData: Bool

    /// A missing or damaged object: the vault file at fault, and why.
    struct Problem: Hashable {
        var path: String
        var reason: String
        var message: String { "\(path): \(reason)" }
    }

    /// Each address of `manifests` at most once: the problems, by address,
    /// and the size of every object read.
    func run(_ manifests: [SnapshotManifest]) -> (problems: [String: Problem], sizes: [String: Int]) {
        var problems: [String: Problem] = [:]
        var sizes: [String: Int] = [:]
        var seen = Set<String>()
        for node in manifests.flatMap(\.nodes) where node.kind == .file {
            for address in node.chunks ?? [] where seen.insert(address).inserted {
                if readData {
                    do { sizes[address] = try objects.read(address).count } catch {
                        if case .corruptObject(let path, let reason) = error {
                            problems[address] = Problem(path: path, reason: "damaged object: \(reason)")
                        } else {
                            problems[address] = Problem(path: objects.packsFolder, reason: error.description)
                        }
                    }
                } else if !objects.contains(address) {
                    let pack = objects.packURL(holding: address)?.path ?? objects.packsFolder
                    problems[address] = Problem(path: pack, reason: objects.missingReason(address))
                }
            }
        }
        return (problems, sizes)
    }

    /// The files of `manifests` that hold any of `addresses`, per snapshot.
    static func touches(of addresses: Set<String>, in manifests: [SnapshotManifest]) -> [SnapshotFiles] {
        manifests.compactMap { manifest in
            let files = manifest.nodes.filter { ($0.chunks ?? []).contains(where: addresses.contains) }.map(\.path)
            return files.isEmpty ? nil : SnapshotFiles(snapshot: manifest.id, files: files)
        }
    }
}

extension SnapshotService {
    /// Checks that every chunk of snapshot `id` is in the vault; with
    /// `readData`, also opens each one and checks it against its address.
    /// Damage found is recorded in the vault, so no backup reuses it, and
    /// the result names every snapshot it touches.
    public func verifySnapshot(_ id: String, readData: Bool) throws(TandemError) -> SnapshotResult {
        let vault = try vault()
        let manifest = try vault.readManifest(try vault.resolveSnapshot(id))
        let objects = try vault.objects()
        var result = SnapshotResult()
        let started = Date()
        let (problems, sizes) = ObjectCheck(objects: objects, readData: readData).run([manifest])
        var reported = Set<String>()
        for node in manifest.nodes where node.kind == .file {
            result.fileCount += 1
            let chunks = node.chunks ?? []
            for address in chunks where reported.insert(address).inserted {
                if let problem = problems[address] { result.errors.append("\(node.path): \(problem.message)") }
            }
            if readData, chunks.allSatisfy({ sizes[$0] != nil }), chunks.reduce(0, { $0 + sizes[$1]! }) != Int(node.size) {
                result.errors.append("\(node.path): its chunks hold \(chunks.reduce(0) { $0 + sizes[$1]! }) bytes, the snapshot says \(node.size)")
            }
        }
        if !problems.isEmpty {
            // A damaged pack may hold what is missing.
            result.errors += objects.damagedPacks
            for touched in ObjectCheck.touches(of: Set(problems.keys), in: try snapshots().manifests) {
                result.errors.append("this damage touches snapshot \(touched.snapshot) (\(Self.fileList(touched.files)))")
            }
        }
        do { try vault.recordDamage(objects.newlyFoundDamage, by: try info().id) } catch {
            result.errors.append("the damage found could not be recorded: \(error.description)")
        }
        result.snapshotID = manifest.id
        result.chunksReused = reported.count
        result.errorCount = result.errors.count
        result.status = result.errors.isEmpty ? 0 : 2
        // A chunk no pack lists has not arrived (or was never written); one whose every copy fails is damaged.
        let notArrived = problems.keys.filter { !objects.isListed($0) }.count
        let damaged = problems.count - notArrived
        result.message = result.errors.isEmpty ? "every chunk is there\(readData ? " and matches its address" : "")"
            : [damaged > 0 ? "\(damaged) damaged chunks" : nil,
               notArrived > 0 ? "\(notArrived) chunks in no pack here (not arrived in this copy of the vault: it may still be replicating)" : nil]
                .compactMap { $0 }.joined(separator: ", ")
        result.durationSeconds = Date().timeIntervalSince(started)
        return result
    }

    /// Everything wrong in the vault's snapshots: manifests that do not open,
    /// packs whose table does not open, damage records and records of
    /// condemned packs that do not open, and
    /// every object a snapshot names that is missing or (with `readData`)
    /// damaged, each with the snapshots and files it touches. Damage found
    /// is recorded, as by `verifySnapshot`. Empty when all is well.
    public func checkVault(readData: Bool) throws(TandemError) -> [VaultFinding] {
        var tally = CheckTally()
        return try checkVault(readData: readData, counting: &tally)
    }

    /// The same, counting in `tally` the snapshots, packs and chunks it checked.
    public func checkVault(readData: Bool, counting tally: inout CheckTally) throws(TandemError) -> [VaultFinding] {
        let vault = try vault()
        var findings: [VaultFinding] = []
        var manifests: [SnapshotManifest] = []
        for id in vault.snapshotIDs() {
            do { manifests.append(try vault.readManifest(id)) } catch {
                findings.append(VaultFinding(path: vault.manifestURL(id).path, problem: error.description,
                                             touches: [SnapshotFiles(snapshot: id, files: [])]))
            }
        }
        let objects = try vault.objects()
        findings += objects.packProblems.map { VaultFinding(path: $0.path, problem: $0.reason) }
        findings += objects.unreadableDamageRecords.map { VaultFinding(path: $0.path, problem: $0.reason) }
        findings += vault.condemnationRecords().problems.map { VaultFinding(path: $0.path, problem: $0.reason) }
        let (problems, sizes) = ObjectCheck(objects: objects, readData: readData).run(manifests)
        tally.snapshots += vault.snapshotIDs().count
        tally.packs += objects.packs.count + objects.packProblems.count
        tally.chunks += Set(manifests.flatMap { $0.nodes.flatMap { $0.chunks ?? [] } }).count
        // One finding per file at fault and problem, with every snapshot it touches.
        let grouped = Dictionary(grouping: problems, by: { $0.value })
        for (problem, entries) in grouped {
            findings.append(VaultFinding(path: problem.path, problem: problem.reason,
                                         touches: ObjectCheck.touches(of: Set(entries.map { $0.key }), in: manifests)))
        }
        if readData {
            for manifest in manifests {
                for node in manifest.nodes where node.kind == .file {
                    let chunks = node.chunks ?? []
                    guard chunks.allSatisfy({ sizes[$0] != nil }) else { continue }
                    let held = chunks.reduce(0) { $0 + sizes[$1]! }
                    guard held != Int(node.size) else { continue }
                    findings.append(VaultFinding(path: vault.manifestURL(manifest.id).path,
                                                 problem: "\(node.path): its chunks hold \(held) bytes, the snapshot says \(node.size)",
                                                 touches: [SnapshotFiles(snapshot: manifest.id, files: [node.path])]))
                }
            }
        }
        do { try vault.recordDamage(objects.newlyFoundDamage, by: try info().id) } catch {
            findings.append(VaultFinding(path: vault.damageRecordURL(try info().id).path, problem: "the damage found could not be recorded: \(error.description)"))
        }
        return findings.sorted { ($0.path, $0.problem) < ($1.path, $1.problem) }
    }

    /// "a.bin, b.bin and 3 more files".
    static func fileList(_ files: [String]) -> String {
        let shown = files.prefix(3).joined(separator: ", ")
        return files.count > 3 ? "\(shown) and \(files.count - 3) more files" : shown
    }
}
