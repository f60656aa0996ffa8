import ArgumentParser
import Foundation
import TandemCore

/// `tandem export`: this device's entries as JSON Lines, one entry a line.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write this device's entries as JSON Lines: {\"context\": …, \"key\": …, \"value\": …}, one a line.",
        discussion: """
            What this device has: its own value of each entry (an incoming change not taken is not exported). \
            Deletions are left out unless --with-deletions, which writes them as {"context", "key", "value": null, \
            "deleted": true}. 'tandem import' reads the same lines.

            Example: tandem export friends --output friends.jsonl
            """)

    @Argument(help: "Only these contexts (default: every one).") var contexts: [String] = []
    @Option(help: ArgumentHelp("Write to FILE (replaced whole once written) instead of stdout.", valueName: "FILE")) var output: String?
    @Flag(help: "Write deletions too, as lines with \"deleted\": true.") var withDeletions = false
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let store = try global.openStore(for: .reading)
        var entries: [EntryStatus] = []
        if contexts.isEmpty {
            entries = try store.entries()
        } else {
            for context in contexts { entries += try store.entries(context: context) }
        }
        var text = ""
        for entry in entries {
            guard let local = entry.local else { continue }
            var members: [(key: String, value: JSONValue)] = [("context", .string(entry.context)), ("key", .string(entry.key))]
            if local.isDeletion {
                guard withDeletions else { continue }
                members += [("value", .null), ("deleted", .bool(true))]
            } else {
                members.append(("value", Output.value(local.value)))
            }
            text += JSONValue.object(members).canonicalText + "\n"
        }
        guard let output else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let url = URL(fileURLWithPath: output)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try Data(text.utf8).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw TandemError.io(path: url.path, reason: "cannot write the export: \(error.localizedDescription)")
        }
    }
}

/// `tandem import`: JSON Lines into this device, in one transaction.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write entries from JSON Lines in one transaction: every line, or none.",
        discussion: """
            Each line is {"context": …, "key": …, "value": …} (as 'tandem export' writes), or {"key": …, "value": …} \
            when CONTEXT is given; a value of null, or "deleted": true, deletes the entry. A line that is not valid \
            is named by its number and nothing is written. An entry that already holds its value gets no new \
            version. The entries are published by the next sync (or --sync).

            Examples: tandem import friends friends.jsonl; tandem export | tandem import - --device phone
            """)

    @Argument(help: ArgumentHelp("[CONTEXT] FILE: the context of lines that name none, then the file ('-' reads stdin).", valueName: "ARGUMENTS"))
    var arguments: [String]
    @OptionGroup var then: SyncAfterOptions
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...2).contains(arguments.count) else { throw ValidationError("give FILE, or CONTEXT FILE ('-' for stdin)") }
    }

    func run() async throws {
        let context = arguments.count == 2 ? arguments[0] : nil
        let file = arguments[arguments.count - 1]
        let bytes: Data
        if file == "-" {
            bytes = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let read = FileManager.default.contents(atPath: file) else { throw TandemError.io(path: file, reason: "cannot be read") }
            bytes = read
        }
        let name = file == "-" ? "stdin" : file
        let batch = try Self.parse(bytes, context: context, name: name)
        let store = try global.openStore()
        let bar = isatty(STDERR_FILENO) == 1 && batch.count >= 1000
        let outcome = try store.write(batch) { done in
            if bar { FileHandle.standardError.write(Data("\r\u{1b}[Kimporting: \(done) of \(batch.count) entries".utf8)) }
        }
        if bar { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        if output.json {
            Output.json(.object([("read", .number(String(batch.count))), ("written", .number(String(outcome.written))),
                                 ("unchanged", .number(String(outcome.unchanged)))]))
        } else {
            Output.line("imported \(batch.count) entries: \(outcome.written) written, \(outcome.unchanged) unchanged"
                        + (then.sync || outcome.written == 0 ? "" : "; 'tandem sync' publishes them"))
        }
        try await then.run(global, json: output.json)
    }

    /// The lines of `bytes` as writes; the first bad line throws, named by its number.
    static func parse(_ bytes: Data, context: String?, name: String) throws -> [DeviceStore.BatchWrite] {
        var batch: [DeviceStore.BatchWrite] = []
        var number = 0
        // Lines are found in one pass over the bytes: splitting the Data itself
        // cost a fifth of importing 100 MB.
        let all = [UInt8](bytes)
        var start = 0
        while start <= all.count {
            let end = all[start...].firstIndex(of: UInt8(ascii: "\n")) ?? all.count
            defer { start = end + 1 }
            number += 1
            let trimmed = end > start && all[end - 1] == UInt8(ascii: "\r") ? all[start..<(end - 1)] : all[start..<end]
            guard !trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { continue }
            func bad(_ reason: String) -> TandemError { .invalidInput(what: "\(name), line \(number)", reason: reason) }
            let parsed: JSONValue
            do { parsed = try JSONParser.parse(Array(trimmed)) } catch { throw bad("not JSON: \(error.description)") }
            guard case .object(let members) = parsed else { throw bad("not a JSON object") }
            let field = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            if let unknown = members.first(where: { !["context", "key", "value", "deleted"].contains($0.key) }) {
                throw bad("unknown member \(Escaped.quoted(unknown.key))")
            }
            guard case .string(let key)? = field["key"] else { throw bad("no \"key\" string") }
            var lineContext = context
            if let given = field["context"] {
                guard case .string(let text) = given else { throw bad("\"context\" is not a string") }
                if let context, context != text { throw bad("names context \(Escaped.quoted(text)), not \(Escaped.quoted(context))") }
                lineContext = text
            }
            guard let lineContext else { throw bad("no \"context\", and none was given before the file") }
            let deleted = field["deleted"] == .bool(true)
            if let flag = field["deleted"], flag != .bool(true), flag != .bool(false) { throw bad("\"deleted\" is not true or false") }
            guard let value = field["value"] ?? (deleted ? JSONValue.null : nil) else { throw bad("no \"value\"") }
            do {
                let item = DeviceStore.BatchWrite(context: try Validation.contextName(lineContext), key: try Validation.key(key),
                                                  json: deleted || value.isNull ? nil : value)
                _ = try item.value.map { text throws(TandemError) in try Validation.sizeChecked(text) }
                batch.append(item)
            } catch {
                throw bad(error.description)
            }
        }
        return batch
    }
}
