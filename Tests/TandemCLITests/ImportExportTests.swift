import Foundation
import Testing

/// `tandem export` and `tandem import`: a round trip of 10,000 entries with
/// odd keys and values, a bad line that writes nothing, and unchanged
/// values that make no version.
@Suite struct ImportExportTests {
    /// Keys with spaces, slashes, quotes, backslashes, non-ASCII and emoji;
    /// values of every JSON kind, nested, with escapes.
    static func line(_ index: Int) -> String {
        let keys = ["plain-\(index)", "with space \(index)", "a/b/\(index)", "quote\"\(index)", "back\\slash\(index)", "é-ü-\(index)", "🙂\(index)"]
        let values = [#"{"n":\#(index),"nested":{"list":[1,2.5,true,null,"x"]}}"#, #""text with \"quotes\" and \\ and \n""#, "\(index)",
                      "[]", "true", #"{"unicode":"日本語","emoji":"🚀"}"#, "null"]
        let key = keys[index % keys.count]
        let value = values[index % values.count]
        let quotedKey = String(decoding: try! JSONSerialization.data(withJSONObject: key, options: [.fragmentsAllowed]), as: UTF8.self)
        return #"{"context":"odd","key":\#(quotedKey),"value":\#(value)}"#
    }

    @Test func tenThousandOddEntriesGoOutAndComeBackTheSame() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        let lines = (0..<10_000).map(Self.line)
        let file = cli.root.appendingPathComponent("in.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let imported = try #require(try cli.json("import", file.path, "--device", "laptop") as? JSONObject)
        // Every seventh value is null: a deletion of an entry that is not there changes nothing.
        let deletions = lines.filter { $0.hasSuffix(#""value":null}"#) }.count
        #expect(imported["read"] as? Int == 10_000 && imported["written"] as? Int == 10_000 - deletions, "\(imported)")
        let exported = cli.root.appendingPathComponent("out.jsonl")
        try cli.ok("export", "odd", "--output", exported.path, "--device", "laptop")
        let out = try String(contentsOf: exported, encoding: .utf8).split(separator: "\n")
        #expect(out.count == 10_000 - deletions)

        // Into another device, from stdin: the same entries, value for value.
        let again = try cli.run(["import", "-", "--device", "phone", "--json"], stdin: try String(contentsOf: exported, encoding: .utf8))
        #expect(again.status == 0, "\(again.stderr)")
        try cli.ok("export", "--output", cli.root.appendingPathComponent("phone.jsonl").path, "--device", "phone")
        #expect(try String(contentsOf: cli.root.appendingPathComponent("phone.jsonl"), encoding: .utf8) == String(contentsOf: exported, encoding: .utf8))
        #expect(try cli.ok("get", "odd", "a/b/2", "--compact", "--device", "phone") == "2\n")
        #expect(try cli.ok("get", "odd", "quote\"3", "--compact", "--device", "phone") == "[]\n")

        // The same lines again: nothing new, so nothing to push.
        try cli.ok("sync", "--device", "laptop")
        let seq = try #require((try cli.json("status", "--device", "laptop") as? JSONObject)?["pushedSeq"] as? Int)
        #expect(seq > 0)
        let unchanged = try #require(try cli.json("import", exported.path, "--device", "laptop", "--sync") as? JSONObject)
        #expect(unchanged["written"] as? Int == 0 && unchanged["unchanged"] as? Int == out.count, "\(unchanged)")
        #expect((try cli.json("status", "--device", "laptop") as? JSONObject)?["pushedSeq"] as? Int == seq, "an unchanged import pushed something")
    }

    @Test func aBadLineInTheMiddleIsNamedAndNothingIsWritten() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop"])
        try cli.ok("put", "friends", "alice", #"{"age":30}"#)
        let before = cli.files()
        var lines = (0..<200).map { #"{"key":"k\#($0)","value":{"n":\#($0)}}"# }
        lines[117] = #"{"key":"k117","value":{"n":117}"#
        let result = try cli.run(["import", "friends", "-"], stdin: lines.joined(separator: "\n"))
        #expect(result.status == 1 && result.stderr.contains("stdin, line 118:") && result.stderr.contains("nothing was written"), "\(result.stderr)")
        #expect(cli.files() == before, "a refused import changed a file")
        for (bad, reason) in [(#"{"context":"other","key":"k","value":1}"#, "names context 'other', not 'friends'"),
                              (#"{"key":"k"}"#, #"no "value""#), (#"["k",1]"#, "not a JSON object"),
                              (#"{"key":"k","value":1,"extra":2}"#, "unknown member 'extra'")] {
            let refused = try cli.run(["import", "friends", "-"], stdin: bad + "\n")
            #expect(refused.status == 1 && refused.stderr.contains("stdin, line 1: \(reason)"), "\(refused.stderr)")
        }
        #expect(try cli.run(["import", "-"], stdin: #"{"key":"k","value":1}"# + "\n").stderr.contains("no \"context\""))
        #expect(cli.files() == before)
    }
}
