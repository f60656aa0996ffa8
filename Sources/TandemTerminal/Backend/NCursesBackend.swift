import CNCursesShim

/// The terminal through ncursesw: copies each grid to the screen; ncurses
/// sends the terminal only what changed since the last refresh.
public final class NCursesBackend: TerminalBackend {
    private var pairs: [ColorPairKey: Int16] = [:]
    private let colorCount: Int
    private let monochrome: Bool

    private struct ColorPairKey: Hashable {
        var foreground: Int16
        var background: Int16
    }

    /// Takes over the terminal; `monochrome` draws without colour (NO_COLOR,
    /// or a terminal without colours).
    public init(monochrome: Bool) throws {
        guard tandem_curses_start() == 0 else { throw TerminalError(description: "cannot start the terminal (is TERM set?)") }
        colorCount = Int(tandem_curses_colors())
        self.monochrome = monochrome || colorCount < 8
    }

    deinit {
        tandem_curses_stop()
    }

    /// False when drawing without colour (NO_COLOR, or fewer than 8 colours).
    public var hasColor: Bool { !monochrome }

    /// Restores the terminal; safe to call again.
    public static func restoreTerminal() {
        tandem_curses_stop()
    }

    public var size: (width: Int, height: Int) {
        (Int(tandem_curses_cols()), Int(tandem_curses_lines()))
    }

    public func draw(_ grid: Grid) {
        let height = min(grid.height, size.height)
        let width = min(grid.width, size.width)
        for y in 0..<height {
            for x in 0..<width {
                let cell = grid[x, y]
                guard cell.width > 0 else { continue }
                var scalars = Array(cell.symbol.unicodeScalars.map { wchar_t(bitPattern: $0.value) })
                scalars.append(0)
                let pair = monochrome ? 0 : pairNumber(cell.style)
                scalars.withUnsafeBufferPointer { buffer in
                    tandem_curses_put(Int32(y), Int32(x), buffer.baseAddress, pair, attributes(cell.style))
                }
            }
        }
        tandem_curses_refresh()
    }

    private func attributes(_ style: Style) -> UInt32 {
        var value: UInt32 = 0
        if style.bold { value |= tandem_attr_bold() }
        if style.underline { value |= tandem_attr_underline() }
        if style.reverse { value |= tandem_attr_reverse() }
        if style.dim { value |= tandem_attr_dim() }
        return value
    }

    private func number(_ color: TerminalColor) -> Int16 {
        switch color {
        case .terminalDefault: return -1
        case .ansi(let index): return Int16(index % 16 < colorCount ? index % 16 : index % 8)
        case .indexed(let index): return colorCount >= 256 ? Int16(index) : Self.nearestANSI(index)
        }
    }

    /// A 256-colour index as the nearest of the 16 basic colours, for
    /// terminals that have only those.
    static func nearestANSI(_ index: UInt8) -> Int16 {
        if index < 16 { return Int16(index) }
        let rgb: (Int, Int, Int)
        if index >= 232 {
            let level = Int(index - 232) * 10 + 8
            rgb = (level, level, level)
        } else {
            let cube = Int(index) - 16
            let steps = [0, 95, 135, 175, 215, 255]
            rgb = (steps[cube / 36], steps[(cube / 6) % 6], steps[cube % 6])
        }
        let palette = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
                       (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
        let distances = palette.map { color in
            (color.0 - rgb.0) * (color.0 - rgb.0) + (color.1 - rgb.1) * (color.1 - rgb.1) + (color.2 - rgb.2) * (color.2 - rgb.2)
        }
        return Int16(distances.firstIndex(of: distances.min() ?? 0) ?? 7)
    }

    private func pairNumber(_ style: Style) -> Int16 {
        let key = ColorPairKey(foreground: number(style.foreground), background: number(style.background))
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let pair = pairs[key] { return pair }
        let pair = Int16(pairs.count + 1)
        guard pair < 256 else { return 0 }
        _ = tandem_curses_init_pair(pair, key.foreground, key.background)
        pairs[key] = pair
        return pair
    }

    public func readKey(timeoutMilliseconds: Int) -> Key? {
        var isKeyCode: Int32 = 0
        let value = tandem_curses_read(Int32(timeoutMilliseconds), &isKeyCode)
        guard value >= 0 else { return nil }
        if isKeyCode != 0 {
            switch value {
            case tandem_key_up(): return .up
            case tandem_key_down(): return .down
            case tandem_key_left(): return .left
            case tandem_key_right(): return .right
            case tandem_key_home(): return .home
            case tandem_key_end(): return .end
            case tandem_key_page_up(): return .pageUp
            case tandem_key_page_down(): return .pageDown
            case tandem_key_back_tab(): return .backTab
            case tandem_key_enter(): return .enter
            case tandem_key_backspace(): return .backspace
            case tandem_key_resize(): return .resize
            default: return nil
            }
        }
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .control(Character(UnicodeScalar(UInt8(value) + 96)))
        default:
            guard let scalar = UnicodeScalar(UInt32(value)) else { return nil }
            return .character(Character(scalar))
        }
    }

    public func suspend() {
        tandem_curses_suspend()
    }

    public func resume() {
        tandem_curses_resume()
    }
}

/// Why the terminal could not be used.
public struct TerminalError: Error, CustomStringConvertible {
    public var description: String
}
