import Hummingbird
import TesseraCore

/// Reads a `Presentation` out of an HTTP request, believing forwarded headers only from trusted proxies.
///
/// Sources, in order: the token from `Authorization: Bearer`, else the token cookies (never
/// the query, which ends up in logs); the subject from the identity header of a trusted
/// peer, else the anonymous cookie; the project from `X-Tessera-Project` and the original
/// URI matched against `--project-from-path`. Client-sent `X-Auth-Request-*` headers are
/// never read.
struct RequestReader: Sendable {
    let configuration: GatewayConfiguration
    private let identityField: HeaderName?

    static let projectField = HeaderName("X-Tessera-Project")!
    static let forwardedURIField = HeaderName("X-Forwarded-Uri")!
    static let originalURIField = HeaderName("X-Original-URI")!
    static let forwardedProtoField = HeaderName("X-Forwarded-Proto")!
    static let forwardedMethodField = HeaderName("X-Forwarded-Method")!
    static let originalMethodField = HeaderName("X-Original-Method")!

    init(configuration: GatewayConfiguration) {
        self.configuration = configuration
        identityField = configuration.identityHeader.flatMap { HeaderName($0) }
    }

    /// Whether the TCP peer is one of the trusted proxies; an unknown peer never is.
    func isTrusted(_ context: GatewayContext) -> Bool {
        guard let address = context.remoteAddress else { return false }
        let bytes: [UInt8]
        switch address {
        case .v4(let v4): bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        case .unixDomainSocket: return false
        }
        return configuration.trustedProxies.contains { $0.contains(bytes) }
    }

    /// Whether any decision input depends on the peer being trusted; when none does, the peer is never looked up.
    var needsPeer: Bool { configuration.identityHeader != nil || configuration.projectFromPath != nil }

    /// Everything `/verify` needs from a request.
    func presentation(_ request: Request, trusted: Bool) -> Presentation {
        Presentation(tokens: tokens(request), subject: subject(request, trusted: trusted), project: project(request, trusted: trusted))
    }

    /// The bearer token alone when there is one (it beats any cookie), else the token cookies.
    func tokens(_ request: Request) -> [[UInt8]] {
        if let bearer = Self.bearerToken(request.headers[.authorization]) { return [Self.bytes(bearer)] }
        return Cookie.values(named: configuration.tokenCookie, in: request.headers[values: .cookie]).map { Self.bytes($0[...]) }
    }

    /// The UTF-8 bytes of a slice, copied in one go rather than byte by byte.
    private static func bytes(_ text: Substring) -> [UInt8] {
        text.utf8.withContiguousStorageIfAvailable { Array($0) } ?? Array(String(text).utf8)
    }

    /// The signed-in subject from a trusted proxy, else the anonymous subject from its cookie.
    func subject(_ request: Request, trusted: Bool) -> Presentation.Subject? {
        if trusted, let identityField, let value = request.headers[identityField] {
            let name = value.trimmingSpaces
            if !name.isEmpty, Name.isValidSubject(name) { return .identity(String(name)) }
        }
        let anonymous = Cookie.values(named: configuration.anonymousCookie, in: request.headers[values: .cookie])
        if let id = anonymous.first(where: { $0.hasPrefix(Admission.anonymousPrefix) && $0.utf8.count <= 64 && Name.isValidSubject($0) }) {
            return .anonymous(id)
        }
        return nil
    }

    /// The project the protected resource belongs to.
    ///
    /// `X-Tessera-Project` is honoured from any peer: it can only narrow what is granted. The
    /// forwarded URI is believed only from trusted peers; otherwise the gateway's own path
    /// minus `/verify` is used (Envoy's `path_prefix` form), which names no project behind
    /// nginx, so a misconfigured deployment refuses rather than grants.
    func project(_ request: Request, trusted: Bool) -> Presentation.ProjectRequirement {
        var header: String?
        if let value = request.headers[Self.projectField] {
            let name = value.trimmingSpaces
            guard Name.isValidProjectOrRole(name) else { return .unresolved("the X-Tessera-Project header is not a project name") }
            header = String(name)
        }
        guard let template = configuration.projectFromPath else { return header.map(Presentation.ProjectRequirement.project) ?? .any }
        guard let fromPath = template.project(in: originalURI(request, trusted: trusted)) else {
            return header.map(Presentation.ProjectRequirement.project) ?? .unresolved("the request URI names no project (expected \(template))")
        }
        if let header, header != fromPath {
            return .unresolved("the X-Tessera-Project header (\(header)) and the request URI (\(fromPath)) disagree")
        }
        return .project(fromPath)
    }

    /// The URI the client asked the proxy for.
    func originalURI(_ request: Request, trusted: Bool) -> String {
        if trusted, let uri = request.headers[Self.forwardedURIField] ?? request.headers[Self.originalURIField], uri.hasPrefix("/") {
            return uri
        }
        let own = request.head.path ?? "/"
        let rest = own.hasPrefix(Gateway.verifyPath) ? own.dropFirst(Gateway.verifyPath.count) : ""
        return rest.hasPrefix("/") ? String(rest) : "/"
    }

    /// The client's method, for logs.
    func originalMethod(_ request: Request, trusted: Bool) -> String {
        if trusted, let method = request.headers[Self.forwardedMethodField] ?? request.headers[Self.originalMethodField] { return method }
        return request.method.rawValue
    }

    /// Whether the browser reached the site over https, which decides `Secure` on cookies in `auto` mode.
    func isHTTPS(_ request: Request, trusted: Bool) -> Bool {
        if trusted, let proto = request.headers[Self.forwardedProtoField] {
            return proto.split(separator: ",").first?.trimmingSpaces.lowercased() == "https"
        }
        return request.head.scheme?.lowercased() == "https"
    }

    /// The token of an `Authorization: Bearer …` header (scheme case-insensitive), or nil.
    static func bearerToken(_ header: String?) -> Substring? {
        // Works on UTF-8 offsets: counting Characters of a 400-byte token was a visible share of a cached decision.
        guard let header else { return nil }
        let bytes = header.utf8
        var start = bytes.startIndex
        while start < bytes.endIndex, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start = bytes.index(after: start) }
        let scheme = "bearer".utf8
        var cursor = start
        for expected in scheme {
            guard cursor < bytes.endIndex, bytes[cursor] | 0x20 == expected else { return nil }
            cursor = bytes.index(after: cursor)
        }
        guard cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: "\t") else { return nil }
        let token = header[cursor...].trimmingSpaces
        return token.isEmpty ? nil : token
    }
}
