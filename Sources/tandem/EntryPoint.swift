import ArgumentParser
import Foundation
import TandemCore

/// Runs the command line and maps every outcome to the documented exit codes:
/// 0 ok, 1 the operation failed, 2 usage. Errors go to stderr in one line.
@main
struct EntryPoint {
    static func main() async {
        // A file-size limit or a full disk must end in an error message, not a
        // signal that kills the process halfway.
        signal(SIGXFSZ, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        if let problem = RawArguments.firstInvalid() {
            Output.error(problem.description)
            exit(1)
        }
        let command: any ParsableCommand
        do {
            command = try Tandem.parseAsRoot(GlobalArguments.reordered(Array(CommandLine.arguments.dropFirst())))
        } catch {
            let code = Tandem.exitCode(for: error)
            let message = Tandem.fullMessage(for: error)
            if code == .success {
                Output.lines(message)
                exit(0)
            }
            Output.usage(message)
            exit(2)
        }
        do {
            var command = command
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let error as TandemError {
            Output.error(error.description)
            exit(1)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            switch Tandem.exitCode(for: error) {
            case .success:
                Output.lines(Tandem.fullMessage(for: error))
                exit(0)
            case .validationFailure:
                Output.usage(Tandem.fullMessage(for: error))
                exit(2)
            default:
                Output.error(Tandem.message(for: error))
                exit(1)
            }
        }
    }
}
