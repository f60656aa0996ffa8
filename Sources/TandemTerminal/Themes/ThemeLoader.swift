import Foundation
import TOMLKit
import TandemCore

/// What is wrong with a theme file, and where.
public struct ThemeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

/// Reads themes from TOML: the built-in ones (Themes/*.toml) and the
/// person's own in `~/.config/tandem/themes/NAME.toml`.
public enum ThemeLoader {
    /// Names of the built-in themes.
    public static var builtinNames: [String] { BuiltinThemes.files.keys.sorted() }

    /// The person's theme folder: `$XDG_CONFIG_HOME/tandem/themes`, else `~/.config/tandem/themes`.
    public static func userFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        return base.appendingPathComponent("tandem/themes")
    }

    /// The theme named `name`: the person's file first, then a built-in one.
    /// A file with an error gives the default theme and the error to show.
    public static func load(_ name: String, userFolder: URL = userFolder()) -> (theme: Theme, error: ThemeError?) {
        let file = userFolder.appendingPathComponent(name + ".toml")
        if let data = FileManager.default.contents(atPath: file.path) {
            do {
                return (try parse(String(decoding: data, as: UTF8.self), file: file.path), nil)
            } catch {
                return (.dark, error)
            }
        }
        if let text = BuiltinThemes.files[name] {
            do { return (try parse(text, file: "Themes/\(name).toml"), nil) } catch { return (.dark, error) }
        }
        let known = (builtinNames + userThemeNames(userFolder)).joined(separator: ", ")
        return (.dark, ThemeError(file: file.path, line: 0, message: "no theme named '\(Escaped.text(name))' (themes: \(known))"))
    }

    static func userThemeNames(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
    }

    static let styleNames = ["header", "tab", "active_tab", "selected", "dim", "title", "added", "removed", "bar", "bar_key"]

    /// Parses a theme file; every style it does not name stays plain.
    public static func parse(_ text: String, file: String) throws(ThemeError) -> Theme {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ThemeError(file: file, line: error.source.begin.line, message: error.description)
        } catch {
            throw ThemeError(file: file, line: 1, message: "\(error)")
        }
        var styles: [String: Style] = [:]
        for key in table.keys {
            switch key {
            case "name":
                continue
            case "mark":
                guard let marks = table[key]?.table else { throw problem(text, file, key, nil, "[mark] must be a table of states") }
                for state in marks.keys {
                    guard EntryState(rawValue: state) != nil else {
                        throw problem(text, file, "mark.\(state)", nil, "unknown state '\(state)' (in-sync, outgoing, incoming, conflict, refused)")
                    }
                    styles["mark." + state] = try style(marks[state], text, file, "mark.\(state)")
                }
            case _ where styleNames.contains(key):
                styles[key] = try style(table[key], text, file, key)
            default:
                throw problem(text, file, key, nil, "unknown style '\(key)' (\(styleNames.joined(separator: ", ")), mark.STATE)")
            }
        }
        func s(_ name: String) -> Style { styles[name] ?? .plain }
        var marks: [EntryState: Style] = [:]
        for state in EntryState.allCases { if let style = styles["mark." + state.rawValue] { marks[state] = style } }
        return Theme(header: s("header"), tab: s("tab"), activeTab: s("active_tab"), selected: s("selected"), dim: s("dim"),
                     title: s("title"), added: s("added"), removed: s("removed"), bar: s("bar"), barKey: s("bar_key"), marks: marks)
    }

    private static func style(_ value: (any TOMLValueConvertible)?, _ text: String, _ file: String, _ section: String) throws(ThemeError) -> Style {
        guard let table = value?.table else { throw problem(text, file, section, nil, "[\(section)] must be a table") }
        var style = Style()
        for key in table.keys {
            let entry = table[key]
            switch key {
            case "fg", "bg":
                let color = try color(entry, text, file, section, key)
                if key == "fg" { style.foreground = color } else { style.background = color }
            case "bold", "underline", "reverse", "dim":
                guard let flag = entry?.bool else { throw problem(text, file, section, key, "\(key) must be true or false") }
                switch key {
                case "bold": style.bold = flag
                case "underline": style.underline = flag
                case "reverse": style.reverse = flag
                default: style.dim = flag
                }
            default:
                throw problem(text, file, section, key, "unknown setting '\(key)' (fg, bg, bold, underline, reverse, dim)")
            }
        }
        return style
    }

    static let colorNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    private static func color(_ value: (any TOMLValueConvertible)?, _ text: String, _ file: String, _ section: String, _ key: String) throws(ThemeError) -> TerminalColor {
        if let index = value?.int {
            guard (0...255).contains(index) else { throw problem(text, file, section, key, "colour index \(index) is not in 0…255") }
            return index < 16 ? .ansi(UInt8(index)) : .indexed(UInt8(index))
        }
        guard let name = value?.string else { throw problem(text, file, section, key, "\(key) must be a colour name or 0…255") }
        if name == "default" { return .terminalDefault }
        if let index = colorNames.firstIndex(of: name) { return .ansi(UInt8(index)) }
        if name.hasPrefix("bright-"), let index = colorNames.firstIndex(of: String(name.dropFirst(7))) { return .ansi(UInt8(index + 8)) }
        throw problem(text, file, section, key, "unknown colour '\(Escaped.text(name))' (\(colorNames.joined(separator: ", ")), bright-NAME, default, or 0…255)")
    }

    /// An error at the line of `key` in `[section]` (or of the section itself).
    private static func problem(_ text: String, _ file: String, _ section: String, _ key: String?, _ message: String) -> ThemeError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let header = lines.firstIndex { $0 == "[\(section)]" } ?? lines.firstIndex { $0.hasPrefix(section + " ") || $0.hasPrefix(section + "=") }
        var line = header ?? 0
        if let key, let start = header, let found = lines[(start + 1)...].firstIndex(where: { $0.hasPrefix(key + " ") || $0.hasPrefix(key + "=") }) {
            line = found
        }
        return ThemeError(file: file, line: line + 1, message: message)
    }
}
