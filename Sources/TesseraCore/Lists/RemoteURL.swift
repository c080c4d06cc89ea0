/// An `http://` or `https://` address from which a verifier fetches a published `revoked.paseto`.
///
/// Parsed strictly before anything is sent: no user name or password in the address, a host of
/// letters, digits, dots and hyphens (or an IP address), a port from 1 to 65535, and no spaces or
/// control characters. A fragment is dropped, as a browser would.
public struct RemoteURL: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `http` or `https`, lowercased.
    public let scheme: String
    /// The host name, lowercased; an IPv6 address without its brackets.
    public let host: String
    /// The port, explicit or the scheme's default.
    public let port: Int
    /// The path and query, starting with `/`.
    public let target: String

    /// Whether the connection is TLS.
    public var isSecure: Bool { scheme == "https" }

    /// Whether `text` is meant as an address rather than a file path (it starts with `http://` or `https://`).
    public static func looksLikeURL(_ text: String) -> Bool {
        let lower = text.prefix(8).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// Parses an absolute `http(s)://host[:port][/path][?query][#fragment]`; nil when it is anything else.
    public init?(_ text: String) {
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7f }) else { return nil }
        guard let separator = text.firstRange(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var rest = text[separator.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.contains("@"), !authority.contains("\\") else { return nil }

        let hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            } else {
                hostPart = authority
            }
            guard !hostPart.isEmpty, hostPart.count <= 253,
                  hostPart.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" }),
                  !hostPart.hasPrefix("."), !hostPart.hasPrefix("-") else { return nil }
        }
        let defaultPort = scheme == "https" ? 443 : 80
        var port = defaultPort
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(portPart), (1...65_535).contains(number) else { return nil }
            port = number
        }
        self.scheme = scheme
        self.host = hostPart.lowercased()
        self.port = port
        self.target = target
    }

    /// The address as it is fetched (without a fragment, with a default port left out).
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let defaultPort = isSecure ? 443 : 80
        return "\(scheme)://\(host)\(port == defaultPort ? "" : ":\(port)")\(target)"
    }

    /// Where a redirect's `Location` points from here: an absolute address, one without its scheme, an absolute path, or a path relative to this one.
    /// Any other scheme (`ftp:`, `javascript:`) resolves to nil.
    public func resolving(_ location: String) -> RemoteURL? {
        if Self.looksLikeURL(location) { return RemoteURL(location) }
        if let colon = location.firstIndex(of: ":"), !location[..<colon].contains("/"), !location[..<colon].contains("?") { return nil }
        let origin = description.dropLast(target.count)
        if location.hasPrefix("//") { return RemoteURL(scheme + ":" + location) }
        if location.hasPrefix("/") { return RemoteURL(origin + location) }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let directory = path[...(path.lastIndex(of: "/") ?? path.startIndex)]
        return RemoteURL(origin + directory + location)
    }
}
