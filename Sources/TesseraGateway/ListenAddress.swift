/// A host and TCP port to listen on, written `127.0.0.1:8080`, `[::1]:8080` or `:8080` (loopback).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The address to bind, an IP literal or a host name.
    public var host: String
    /// The TCP port; 0 picks a free one.
    public var port: Int

    /// The address `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (which means 127.0.0.1); nil when malformed.
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !portPart.isEmpty, portPart.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portPart), (0...65535).contains(port) else { return nil }
        // An empty host would mean every interface elsewhere; here it means loopback, the safe reading.
        host = hostPart.isEmpty ? "127.0.0.1" : String(hostPart)
        self.port = port
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
