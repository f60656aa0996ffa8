import TandemCore

/// Draws rows in a rectangle, scrolled so the selected row is visible; only
/// the visible rows are drawn.
struct ListDrawing {
    static func draw(_ grid: inout Grid, _ rect: Rect, count: Int, selected: Int?, selectedStyle: Style,
                     row: (inout Grid, Int, Int, Bool) -> Void) {
        guard rect.height > 0 else { return }
        let selectedIndex = selected ?? 0
        let offset = selectedIndex >= rect.height ? selectedIndex - rect.height + 1 : 0
        for line in 0..<rect.height {
            let index = offset + line
            guard index < count else { break }
            let isSelected = selected == index
            if isSelected { grid.fill(Rect(x: rect.x, y: rect.y + line, width: rect.width, height: 1), style: selectedStyle) }
            row(&grid, index, rect.y + line, isSelected)
        }
    }

    /// A pane title with a rule under nothing: "Contexts".
    static func title(_ grid: inout Grid, _ text: String, x: Int, y: Int, width: Int, style: Style) {
        grid.put(text, x: x, y: y, maxWidth: width, style: style)
    }

    /// A list's title: its name and count, the filter typed on it, how many are marked.
    static func heading(_ name: String, count: Int, _ state: AppState) -> String {
        var text = "\(name) (\(count))"
        if !state.filter.isEmpty { text += " matching '\(state.filter)'" }
        if state.screen == .incoming && !state.marked.isEmpty { text += " · \(state.markedRows.count) marked" }
        if state.screen == .log && state.logErrorsOnly { text += " · errors only" }
        return text
    }

    /// Draws `lines` from `y` on, at most `height` of them.
    static func text(_ grid: inout Grid, _ lines: [(String, Style)], x: Int, y: Int, width: Int, height: Int) {
        for (index, line) in lines.prefix(max(0, height)).enumerated() {
            grid.put(line.0, x: x, y: y + index, maxWidth: width, style: line.1)
        }
    }
}

/// Pretty lines of a stored value, or a note for a deletion or absence.
func valueLines(_ text: String?, absent: String = "(deleted)") -> [String] {
    guard let text else { return [absent] }
    guard let value = try? JSONParser.parse(text) else { return [text] }
    return value.prettyText().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

/// A line diff (longest common subsequence) for small texts: "  " same,
/// "- " only in `old`, "+ " only in `new`.
func lineDiff(_ old: [String], _ new: [String]) -> [(String, Int)] {
    let old = Array(old.prefix(300)), new = Array(new.prefix(300))
    var table = Array(repeating: Array(repeating: 0, count: new.count + 1), count: old.count + 1)
    for i in stride(from: old.count - 1, through: 0, by: -1) {
        for j in stride(from: new.count - 1, through: 0, by: -1) {
            table[i][j] = old[i] == new[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
        }
    }
    var result: [(String, Int)] = []
    var i = 0, j = 0
    while i < old.count || j < new.count {
        if i < old.count, j < new.count, old[i] == new[j] {
            result.append(("  " + old[i], 0)); i += 1; j += 1
        } else if i < old.count, j == new.count || table[i + 1][j] >= table[i][j + 1] {
            result.append(("- " + old[i], -1)); i += 1
        } else {
            result.append(("+ " + new[j], 1)); j += 1
        }
    }
    return result
}
