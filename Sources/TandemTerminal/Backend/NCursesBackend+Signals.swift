import CNCursesShim

extension NCursesBackend {
    /// Makes sure the terminal is restored when the process dies of a signal.
    public static func installCrashHandlers() {
        tandem_install_crash_handlers()
    }
}
