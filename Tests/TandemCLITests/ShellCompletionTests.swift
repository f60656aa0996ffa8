import Foundation
import Testing

/// The completion scripts the binary writes, run by a real bash as its
/// completion system would: the command line in `COMP_*`, the function
/// called with the command, the word and the word before it.
@Suite struct ShellCompletionTests {
    func complete(_ cli: CLI, _ line: String) throws -> [String] {
        var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.last != "" && line.hasSuffix(" ") { words.append("") }
        let quoted = words.map { "'" + $0 + "'" }
        let script = """
            source <("$TANDEM" --generate-completion-script bash) || exit 3
            PATH="$(dirname "$TANDEM"):$PATH"
            COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(\(quoted.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
            _tandem tandem \(quoted[words.count - 1]) \(quoted[words.count - 2])
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try cli.runScript(script)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func bashCompletesCommandsOptionsStatesAndDevices() throws {
        let cli = CLI()
        try cli.setUp(devices: ["laptop", "phone"])
        #expect(try complete(cli, "tandem sy") == ["sync"])
        #expect(try Set(complete(cli, "tandem snapshot ")).isSuperset(of: ["create", "list", "restore", "forget", "prune", "verify"]))
        #expect(try complete(cli, "tandem snapshot forget --gr") == ["--grace"])
        #expect(try complete(cli, "tandem ls --state in") == ["in-sync", "incoming"])
        #expect(try complete(cli, "tandem sync --device ") == ["laptop", "phone"])
        #expect(try complete(cli, "tandem sync --home \(cli.home.path) --device p") == ["phone"])
        #expect(try complete(cli, "tandem sync --home \(cli.root.path)/nowhere --device ") == [])
    }

    @Test(arguments: ["zsh", "fish"]) func zshAndFishScriptsNameEveryCommand(shell: String) throws {
        let script = try CLI().ok("--generate-completion-script", shell)
        for command in ["sync", "accept", "resolve", "snapshot", "export", "import", "compact"] {
            #expect(script.contains(command), "\(shell) script lacks \(command)")
        }
    }
}
