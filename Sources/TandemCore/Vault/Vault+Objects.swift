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
        let address = objectAddress(of: content)
        let url = objectURL(address)
        if FileManager.default.fileExists(atPath: url.path) { return address }
        let sealed: [UInt8]
        do { sealed = try objectSealer.seal(content, associatedData: Self.objectAssociatedData(address)) } catch {
            throw .io(path: url.path, reason: "cannot seal: \(error)")
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: url.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        do {
            try AtomicFile.write([objectSealer.kind] + sealed, to: url, replacing: false)
        } catch {
            // Another device wrote the same content meanwhile: same name, same bytes.
            if FileManager.default.fileExists(atPath: url.path) { return address }
            throw .io(path: error.path, reason: error.reason)
        }
        return address
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
        let content: [UInt8]
        do { content = try objectSealer.open(bytes.dropFirst(), associatedData: Self.objectAssociatedData(address)) } catch {
            throw .corruptObject(path: url.path, reason: "cannot open: \(error)")
        }
        guard objectAddress(of: content) == address else {
            throw .corruptObject(path: url.path, reason: "its content does not match its address")
        }
        return content
    }

    private var objectSealer: any Sealer {
        key.map { AESGCMSealer(key: $0.subkey(.objects)) } ?? PlainSealer()
    }

    private static func objectAssociatedData(_ address: String) -> [UInt8] {
        Array("tandem-object \(address)".utf8)
    }
}
