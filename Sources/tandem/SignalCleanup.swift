import Foundation
import TandemCore

/// Ctrl-C, SIGTERM and SIGHUP during a backup or restore: the process
/// removes its scratch folders (a database's plaintext copy, a half-written
/// restore) before it ends, since a signal's default action runs no `defer`.
/// Installed only by the commands that make such folders: elsewhere (the
/// UI) the terminal library handles these signals itself.
enum SignalCleanup {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install() {
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                ScratchFolders.removeInProgress()
                exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
