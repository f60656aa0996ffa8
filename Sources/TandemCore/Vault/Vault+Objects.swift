#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation

/// Content-addressed objects (`objects/<2 hex>/<64 hex>`), the chunks that
/// snapshots are made of: any device may write one, and the same content
/// always gets the same name, so it is stored once (DESIGN §2, rule 1).
///
/// In an encrypted vault the address is HMAC-SHA256 of the content under
/// a subkey of the vault key, not its bare SHA-256: someone with the folder
/// but not the key cannot confirm that a file they know is in the vault. The
/// object is sealed with AES-256-GCM, its address as associated data; after
/// opening, the content must hash to the address again.
extension Vault {
    var objectsURL: URL { root.appendingPathComponent("objects", isDirectory: true) }

    /// The address of `content`: 64 hex digits.
    public func objectAddress(of content: [UInt8]) -> String {
        guard let key else { return Digest.hex(Digest.sha256(content)) }
        return Digest.hex(HMAC<SHA256>.authenticationCode(for: content, using: key.subkey(.objects)))
    }

    public func objectURL(_ address: String) -> URL {
        objectsURL.appendingPathComponent(String(address.prefix(2)), isDirectory: true).appendingPathComponent(address)
    }

    /// Stores `content` unless an object of the same address is there already.
    /// Returns its address.
    @discardableResult
    public func writeObject(_ content: [UInt8]) throws(TandemError) -> String {
        let address = try storeObject(content).address
        try flushObjects()
        return address
    }

    /// Stores `content` unless it is there already; says which, and how many
    /// bytes were written. An object found is touched: a prune spares objects
    /// younger than its grace period, so one that a backup running now
    /// reuses is not removed under it.
    func storeObject(_ content: [UInt8]) throws(TandemError) -> (address: String, written: Int) {
        let address = objectAddress(of: content)
        let url = objectURL(address)
        if FileManager.default.fileExists(atPath: url.path) {
            utimes(url.path, nil)
            return (address, 0)
        }
        var payload = [Self.storedRaw] + Self.bigEndian(UInt32(content.count))
        if let compressed = Zlib.compressIfItPays(content) {
            payload[0] = Self.storedZlib
            payload += compressed
        } else {
            payload += content
        }
        let sealed: [UInt8]
        do { sealed = try objectSealer.seal(payload, associatedData: Self.objectAssociatedData(address)) } catch {
            throw .io(path: url.path, reason: "cannot seal: \(error)")
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: url.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        do {
            // Not fsynced one by one: a snapshot flushes them all before it writes its manifest.
            try AtomicFile.write([objectSealer.kind] + sealed, to: url, replacing: false, durable: false)
        } catch {
            // Another device wrote the same content meanwhile: same name, same content (other bytes: the nonce differs).
            if FileManager.default.fileExists(atPath: url.path) { return (address, 0) }
            throw .io(path: error.path, reason: error.reason)
        }
        return (address, sealed.count + 1)
    }

    /// How an object's payload holds its content: as it is, or zlib-compressed.
    private static let storedRaw: UInt8 = 0
    private static let storedZlib: UInt8 = 1

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// The content of object `address`; throws `corruptObject` naming the
    /// file when it is missing, does not open, or does not match its address.
    public func readObject(_ address: String) throws(TandemError) -> [UInt8] {
        let url = objectURL(address)
        guard address.count == 64, address.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw .corruptObject(path: url.path, reason: "'\(Escaped.text(address))' is not an object address")
        }
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(url) } catch { throw .io(path: error.path, reason: error.reason) }
        guard let bytes else { throw .corruptObject(path: url.path, reason: "missing") }
        guard let method = bytes.first, method == objectSealer.kind else {
            throw .corruptObject(path: url.path, reason: "not sealed with this vault's method")
        }
        let payload: [UInt8]
        do { payload = try objectSealer.open(bytes.dropFirst(), associatedData: Self.objectAssociatedData(address)) } catch {
            throw .corruptObject(path: url.path, reason: "cannot open: \(error)")
        }
        guard payload.count >= 5, payload[0] == Self.storedRaw || payload[0] == Self.storedZlib else {
            throw .corruptObject(path: url.path, reason: "unknown content encoding")
        }
        let size = payload[1...4].reduce(0) { $0 << 8 | Int($1) }
        let content: [UInt8]
        if payload[0] == Self.storedZlib {
            guard let expanded = Zlib.decompress(payload[5...], size: size) else {
                throw .corruptObject(path: url.path, reason: "its compressed content does not expand")
            }
            content = expanded
        } else {
            content = Array(payload[5...])
        }
        guard objectAddress(of: content) == address else {
            throw .corruptObject(path: url.path, reason: "its content does not match its address")
        }
        return content
    }

    /// Touches object `address` (see prune); false when it is not there.
    func touchObject(_ address: String) -> Bool {
        utimes(objectURL(address).path, nil) == 0
    }

    /// Makes every object written so far durable (one `syncfs`), before a
    /// manifest that refers to them is written.
    func flushObjects() throws(TandemError) {
        do { try AtomicFile.flushFileSystem(root.path) } catch { throw .io(path: error.path, reason: error.reason) }
    }

    private var objectSealer: any Sealer {
        key.map { AESGCMSealer(key: $0.subkey(.objects)) } ?? PlainSealer()
    }

    private static func objectAssociatedData(_ address: String) -> [UInt8] {
        Array("tandem-object \(address)".utf8)
    }
}
