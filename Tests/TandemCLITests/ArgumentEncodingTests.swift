import Foundation
import Testing

/// Arguments whose bytes are not UTF-8 are refused before anything runs:
/// turned into Swift strings, their bad bytes would silently become U+FFFD,
/// and two different keys (or paths) would become one.
@Suite struct ArgumentEncodingTests {
    @Test func aKeyThatIsNotUTF8IsRefusedInsteadOfRepaired() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a"])
        // 0xC3 starts a two-byte sequence that never comes; 0xFE is never UTF-8.
        let first = try cli.runScript(#""$TANDEM" put c $'k\xc3' 1"#)
        #expect(first.status == 1, "\(first.stdout) \(first.stderr)")
        #expect(first.stderr.contains("not valid UTF-8") && first.stderr.contains("byte offset 1"), "\(first.stderr)")
        #expect(first.stderr.split(separator: "\n").count == 1, "\(first.stderr)")
        #expect(first.stderr.contains(#"'k\xc3'"#), "\(first.stderr)")
        let second = try cli.runScript(#""$TANDEM" put c $'k\xfe' 2"#)
        #expect(second.status == 1)
        #expect(second.stderr.contains("byte offset 1"), "\(second.stderr)")
        #expect((try cli.json("ls") as? [Any])?.isEmpty == true, "a key was written")

        let get = try cli.runScript(#""$TANDEM" get c $'k\xc3'"#)
        #expect(get.status == 1)
        #expect(get.stderr.contains("not valid UTF-8"), "\(get.stderr)")
        // A key in good UTF-8 beyond ASCII is taken as it is.
        let good = try cli.runScript(#""$TANDEM" put c $'k\xc3\xa9' 3"#)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(try cli.ok("get", "c", "ké", "--compact") == "3\n")
    }

    @Test func contextNamesOptionsAndPathsThatAreNotUTF8AreRefusedAndChangeNothing() throws {
        let cli = CLI()
        try cli.setUp(devices: ["a"])
        try cli.ok("put", "c", "k", "1")
        let source = cli.root.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: source.appendingPathComponent("file"))
        let before = cli.files()
        let cases: [(script: String, offset: Int)] = [
            (#""$TANDEM" put $'c\xff' k 1"#, 1),
            (#""$TANDEM" ls $'\x80c'"#, 0),
            (#""$TANDEM" put c k 2 --device $'a\xed\xa0\x80'"#, 1),
            (#""$TANDEM" snapshot create "$SRC"$'\xe9t\xe9'"#, source.path.utf8.count),
            (#""$TANDEM" snapshot create "$SRC" --name $'n\xc0\xaf'"#, 1),
        ]
        for (script, offset) in cases {
            let result = try cli.runScript("SRC='\(source.path)'; " + script)
            #expect(result.status == 1, "\(script): \(result.stderr)")
            #expect(result.stderr.contains("not valid UTF-8 at byte offset \(offset)"), "\(script): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(script): \(result.stderr)")
        }
        #expect(cli.files() == before, "a refused command changed the vault or the home")
        #expect(try cli.ok("get", "c", "k", "--compact") == "1\n")
    }
}
