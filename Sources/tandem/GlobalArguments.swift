/// Global options where people type them: `tandem --home H --device D sync`
/// as well as `tandem sync --home H --device D` (as `git -C`, `restic -r`).
/// The parser knows them on each command, so those given before the
/// command are moved behind it, before any `--`, where they mean the same.
enum GlobalArguments {
    /// Options of `GlobalOptions` that take a value, and its flags.
    static let valued: Set<String> = ["--home", "--device", "--passphrase-file"]
    static let flags: Set<String> = ["--verbose"]

    static func reordered(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if valued.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if let equals = argument.firstIndex(of: "="), valued.contains(String(argument[..<equals])) {
                leading.append(argument)
                index += 1
            } else if flags.contains(argument) {
                leading.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        var rest = Array(arguments[index...])
        rest.insert(contentsOf: leading, at: rest.firstIndex(of: "--") ?? rest.count)
        return rest
    }
}
