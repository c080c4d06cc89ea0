/// Reading `check`'s command line without ArgumentParser, whose reflection over the command's
/// properties costs more at start-up than verifying the token.
extension CheckRequest {
    /// The options that take a value.
    private static let valued: Set<String> = ["--site", "--keys", "--revoked", "--audience", "--leeway", "--subject", "--project", "--at", "--ledger"]

    /// The arguments after `check`, read when every one is a plain form: `--name value`, `--name=value`,
    /// `--redeem`, `--json`, `--no-signup` and at most one token, each option at most once, no value that starts with `-`.
    ///
    /// Anything else (help, an unknown or repeated option, a missing value) gives nil, and ArgumentParser
    /// reads the line instead, with its own messages: the two never disagree on a line both accept.
    public init?(arguments: ArraySlice<String>) {
        self.init()
        var seen: Set<String> = []
        var positional = false
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "-" || !argument.hasPrefix("-") {
                guard !positional else { return nil }
                positional = true
                token = argument
                continue
            }
            guard argument.hasPrefix("--") else { return nil }
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
                // ArgumentParser reads `--name=` as `--name` followed by the next argument: leave such lines to it.
                guard let attached = value, !attached.isEmpty, !attached.hasPrefix("-") else { return nil }
            }
            guard seen.insert(name).inserted else { return nil }
            if Self.valued.contains(name) {
                if value == nil {
                    guard index < arguments.endIndex, !arguments[index].hasPrefix("-") else { return nil }
                    value = arguments[index]
                    index += 1
                }
                // An empty value is a usage error that ArgumentParser's validation words: leave it to it.
                guard let value, !value.isEmpty else { return nil }
                set(name, value)
            } else if value == nil, name == "--redeem" {
                redeem = true
            } else if value == nil, name == "--json" {
                json = true
            } else if value == nil, name == "--no-signup" {
                verifier.noSignup = true
            } else {
                return nil
            }
        }
    }

    /// Stores the value of one of the `valued` options.
    private mutating func set(_ name: String, _ value: String) {
        switch name {
        case "--site": verifier.site = value
        case "--keys": verifier.keys = value
        case "--revoked": verifier.revoked = value
        case "--audience": verifier.audience = value
        case "--leeway": verifier.leeway = value
        case "--subject": subject = value
        case "--project": project = value
        case "--at": at = value
        default: ledger = value
        }
    }
}
