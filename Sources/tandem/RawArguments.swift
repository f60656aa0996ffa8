import Foundation
import TandemCore

/// The command line as the kernel gave it, checked before ArgumentParser
/// sees it: `CommandLine.arguments` has already turned bytes that are not
/// UTF-8 into U+FFFD, so `k\xc3` and `k\xfe` would name the same key, and a
/// path would name another file.
enum RawArguments {
    /// The first argument whose bytes are not UTF-8, as the error to report.
    static func firstInvalid() -> TandemError? {
        for position in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[position] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
            if let offset = Validation.invalidUTF8Offset(bytes) {
                return .invalidUTF8(what: "argument \(position) '\(Validation.showingInvalidUTF8(bytes))'", offset: offset)
            }
        }
        return nil
    }
}
