/// Where a grid is shown and keys come from. Only the ncurses backend touches
/// a terminal; tests use ``MemoryBackend``.
public protocol TerminalBackend: AnyObject {
    /// Columns and rows available now.
    var size: (width: Int, height: Int) { get }
    /// Shows `grid` (the backend sends only what changed).
    func draw(_ grid: Grid)
    /// Waits up to `timeoutMilliseconds` for a key; nil when none came.
    func readKey(timeoutMilliseconds: Int) -> Key?
    /// Gives the terminal back (before running `$EDITOR`, and at exit).
    func suspend()
    func resume()
}

/// A backend in memory: keys are queued by the test, frames are kept.
public final class MemoryBackend: TerminalBackend {
    public var size: (width: Int, height: Int)
    public private(set) var frames: [Grid] = []
    public var keys: [Key] = []

    public init(width: Int, height: Int) {
        size = (width, height)
    }

    public var lastFrame: Grid? { frames.last }

    public func draw(_ grid: Grid) {
        frames.append(grid)
    }

    public func readKey(timeoutMilliseconds: Int) -> Key? {
        keys.isEmpty ? nil : keys.removeFirst()
    }

    public func suspend() {}
    public func resume() {}
}
