/// A web origin, `scheme://host[:port]`, as browsers send it in `Origin`: lowercased, default port dropped.
enum WebOrigin {
    /// The origin of an absolute http(s) URL or origin string; nil for anything else (including `null`).
    static func of(_ text: some StringProtocol) -> String? {
        let lowered = text.trimmingSpaces.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") { scheme = "https" } else if lowered.hasPrefix("http://") { scheme = "http" } else { return nil }
        let rest = lowered.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        return host(String(authority), scheme: scheme).map { "\(scheme)://\($0)" }
    }

    /// `host[:port]` lowercased with the scheme's default port dropped; nil when it holds characters no host has.
    static func host(_ authority: String, scheme: String) -> String? {
        var value = authority.lowercased()
        guard value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "/") }) else { return nil }
        let defaultPort = scheme == "https" ? ":443" : ":80"
        if value.hasSuffix(defaultPort) { value.removeLast(defaultPort.count) }
        return value.isEmpty ? nil : value
    }
}
