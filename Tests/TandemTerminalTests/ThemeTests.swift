import Foundation
import Testing
@testable import TandemTerminal

@Suite struct ThemeTests {
    static let themesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Themes")

    @Test func theBuiltInThemesAreTheFilesOfThemes() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.themesFolder.path).filter { $0.hasSuffix(".toml") }
        #expect(Set(files.map { String($0.dropLast(5)) }) == Set(BuiltinThemes.files.keys))
        for file in files {
            let text = try String(contentsOf: Self.themesFolder.appendingPathComponent(file), encoding: .utf8)
            #expect(BuiltinThemes.files[String(file.dropLast(5))] == text.trimmingCharacters(in: .newlines), "\(file) differs from its built-in copy")
        }
    }

    @Test(arguments: ["dark", "light", "high-contrast", "monochrome"])
    func everyBuiltInThemeParses(_ name: String) throws {
        let (theme, error) = ThemeLoader.load(name, userFolder: URL(fileURLWithPath: "/nonexistent"))
        #expect(error == nil)
        #expect(theme != Theme.fallback)
    }

    @Test func aUserThemeWithAnErrorNamesTheFileAndLineAndFallsBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("name = \"mine\"\n\n[header]\nfg = \"blu\"\n".utf8).write(to: folder.appendingPathComponent("mine.toml"))
        let (theme, error) = ThemeLoader.load("mine", userFolder: folder)
        #expect(theme == .dark)
        #expect(error?.file == folder.appendingPathComponent("mine.toml").path)
        #expect(error?.line == 4)
        #expect(error?.message.contains("unknown colour 'blu'") == true)

        try Data("[header\nfg = 1\n".utf8).write(to: folder.appendingPathComponent("broken.toml"))
        let broken = ThemeLoader.load("broken", userFolder: folder)
        #expect(broken.error?.line == 1)

        try Data("[header]\nfg = 300\n".utf8).write(to: folder.appendingPathComponent("range.toml"))
        #expect(ThemeLoader.load("range", userFolder: folder).error?.message.contains("not in 0…255") == true)
        #expect(ThemeLoader.load("nonexistent", userFolder: folder).error?.message.contains("no theme named") == true)
    }

    @Test func aUserThemeOverridesTheBuiltInOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("[selected]\nfg = 196\nunderline = true\n".utf8).write(to: folder.appendingPathComponent("dark.toml"))
        let (theme, error) = ThemeLoader.load("dark", userFolder: folder)
        #expect(error == nil)
        #expect(theme.selected == Style(foreground: .indexed(196), underline: true))
    }

    @Test func withoutColorKeepsTheAttributes() {
        let plain = Theme.dark.withoutColor
        #expect(plain.header.bold)
        #expect(plain.header.background == .terminalDefault)
        #expect(plain.marks.values.allSatisfy { $0.foreground == .terminalDefault })
    }

    @Test func indexedColoursFallBackToTheNearestBasicOne() {
        #expect(NCursesBackend.nearestANSI(196) == 9)
        #expect(NCursesBackend.nearestANSI(16) == 0)
        #expect(NCursesBackend.nearestANSI(231) == 15)
        #expect(NCursesBackend.nearestANSI(4) == 4)
    }
}
