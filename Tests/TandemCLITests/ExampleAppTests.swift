import Foundation
import Testing

/// The example app of the "Getting started" article, built by `swift build`, runs to its end.
@Suite struct ExampleAppTests {
    @Test func theFriendsExampleEndsWithBothDevicesHoldingTheSameFriends() throws {
        let binary = CLI.binary.deletingLastPathComponent().appendingPathComponent("friends-example")
        let cli = CLI()
        let result = try cli.runScript("\"\(binary.path)\" \"\(cli.root.path)/example\"")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("phone applied insert of bob"))
        #expect(result.stdout.contains("laptop: friends/bob is in conflict between 2 versions"))
        #expect(result.stdout.contains("1 in conflict"), "the screen never heard of the conflict")
        #expect(result.stdout.contains("phone applied edit of bob"))
        #expect(result.stdout.contains("bob on the laptop: Robert, 555-0199; on the phone: Robert, 555-0199; in the phone's model: Robert, 555-0199"))
        #expect(FileManager.default.fileExists(atPath: cli.root.appendingPathComponent("example/vault/vault.json").path))
    }
}
