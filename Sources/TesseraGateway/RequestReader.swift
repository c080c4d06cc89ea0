import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore

/// Reads a `Presentation` out of an HTTP request: the one place that decides what a request is believed to say, and from whom.
///
/// - **Token:** `Authorization: Bearer`, else the token cookies; never the query, which ends up in logs.
/// - **Subject:** the identity header, only from a trusted proxy; else the anonymous member's
///   secret from its cookie, turned into a subject by `AnonymousMember` (so a subject's name is
///   never enough to be it). A name chosen by the client is never a subject.
/// - **Project:** with `--project-from-path`, the project is the one in the forwarded URI, read
///   from the one header the operator names (trusted proxies only; else the gateway's own path
///   minus `/verify`, Envoy's form). A URI that does not fit, or two forwarded-URI headers that
///   disagree, resolve no project: nothing is granted whatever the other headers say.
///   `X-Tessera-Project` only narrows: alone it applies only without a template; with one it
///   must equal the path's project.
/// - **Cookies over https:** only the `__Host-`/`__Secure-` names, which no plain-http page
///   or sibling host can set; the bare names are read only when cookies are not `Secure`.
/// - **Join origin:** `Origin`, else `Referer`, compared with the gateway's own origin and the allowed ones.
///
/// Client-sent `X-Auth-Request-*` headers are never read. Code past this type reads no raw header or cookie.
struct RequestReader: Sendable {
    let configuration: GatewayConfiguration
    private let identityField: HeaderName?
    private let forwardedURIField: HeaderName
    /// Every header some proxy uses for the original URI: when more than one arrives, they must agree.
    private let uriFields: [HeaderName]

    static let projectField = HeaderName("X-Tessera-Project")!
    static let forwardedURIField = HeaderName("X-Forwarded-Uri")!
    static let originalURIField = HeaderName("X-Original-URI")!
    static let forwardedProtoField = HeaderName("X-Forwarded-Proto")!
    static let forwardedHostField = HeaderName("X-Forwarded-Host")!
    static let forwardedMethodField = HeaderName("X-Forwarded-Method")!
    static let originalMethodField = HeaderName("X-Original-Method")!
    static let originField = HeaderName("Origin")!
    static let refererField = HeaderName("Referer")!
    static let knownURIFields = [forwardedURIField, originalURIField, HeaderName("X-Original-URL")!, HeaderName("X-Rewrite-URL")!]

    /// The prefix of cookies that only a secure page of this very host can set (no `Domain`, `Path=/`).
    static let hostPrefix = "__Host-"
    /// The prefix of cookies that only a secure page can set (used for path-scoped token cookies).
    static let securePrefix = "__Secure-"

    init(configuration: GatewayConfiguration) {
        self.configuration = configuration
        identityField = configuration.identityHeader.flatMap { HeaderName($0) }
        let named = HeaderName(configuration.forwardedURIHeader) ?? Self.forwardedURIField
        forwardedURIField = named
        uriFields = [named] + Self.knownURIFields.filter { $0 != named }
    }

    /// Whether the TCP peer is one of the trusted proxies; an unknown peer never is.
    func isTrusted(_ context: GatewayContext) -> Bool {
        isTrusted(peer: context.remoteAddress)
    }

    /// Whether `peer` is one of the trusted proxies; an unknown peer never is.
    func isTrusted(peer: SocketAddress?) -> Bool {
        guard let address = peer else { return false }
        let bytes: [UInt8]
        switch address {
        case .v4(let v4): bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        case .unixDomainSocket: return false
        }
        return configuration.trustedProxies.contains { $0.contains(bytes) }
    }

    /// Whether any decision input depends on the peer being trusted; when none does, the peer is never looked up.
    var needsPeer: Bool { configuration.identityHeader != nil || configuration.projectFromPath != nil || configuration.cookieSecurity == .auto }

    /// Everything `/verify` needs from a request.
    func presentation(_ request: Request, trusted: Bool) -> Presentation {
        let secure = secureCookies(request, trusted: trusted)
        return Presentation(tokens: tokens(request, secure: secure), subject: subject(request, trusted: trusted, secure: secure),
                            project: project(request, trusted: trusted))
    }

    /// Whether the cookies `/join` sets for this request are `Secure` (and so carry the `__Host-`/`__Secure-` prefixes).
    func secureCookies(_ request: Request, trusted: Bool) -> Bool {
        switch configuration.cookieSecurity {
        case .always: true
        case .never: false
        case .auto: isHTTPS(request, trusted: trusted)
        }
    }

    /// The token cookie's name for a path: `__Host-tessera` at `/` and `__Secure-tessera` below it when secure, else `tessera`.
    func tokenCookieName(path: String, secure: Bool) -> String {
        guard secure else { return configuration.tokenCookie }
        return (path == "/" ? Self.hostPrefix : Self.securePrefix) + configuration.tokenCookie
    }

    /// The anonymous cookie's name: `__Host-tessera_anon` when secure, else `tessera_anon`.
    func anonymousCookieName(secure: Bool) -> String {
        secure ? Self.hostPrefix + configuration.anonymousCookie : configuration.anonymousCookie
    }

    /// The bearer token alone when there is one (it beats any cookie), else the token cookies.
    func tokens(_ request: Request, secure: Bool) -> [[UInt8]] {
        if let bearer = Self.bearerToken(Self.value(of: .authorization, in: request.headers)) { return [Self.bytes(bearer)] }
        let cookies = request.headers[values: .cookie]
        guard !cookies.isEmpty else { return [] }
        // `__Secure-` cookies can be planted by a sibling host (`Domain=`); a browser holds one per project path, so two
        // differing ones in one request mean one was planted: nothing is believed (answered like no token).
        if secure, Set(Cookie.values(named: Self.securePrefix + configuration.tokenCookie, in: cookies)).count > 1 { return [] }
        var names = [Self.hostPrefix + configuration.tokenCookie, Self.securePrefix + configuration.tokenCookie]
        if !secure { names.append(configuration.tokenCookie) }
        return names.flatMap { Cookie.values(named: $0, in: cookies) }.map { Self.bytes($0[...]) }
    }

    /// The UTF-8 bytes of a slice, copied in one go rather than byte by byte.
    private static func bytes(_ text: Substring) -> [UInt8] {
        text.utf8.withContiguousStorageIfAvailable { Array($0) } ?? Array(String(text).utf8)
    }

    /// The signed-in subject from a trusted proxy, else the anonymous member whose secret the cookie holds.
    func subject(_ request: Request, trusted: Bool, secure: Bool) -> Presentation.Subject? {
        if trusted, let identityField, let value = Self.value(of: identityField, in: request.headers) {
            // Two copies mean the proxy added its own beside the client's instead of replacing it: which one is the
            // login cannot be known, and joined they would pass as one name ("anonymous, alice").
            let copies = request.headers[values: identityField].count
            if copies > 1 {
                return .refused("the request carries \(copies) \(identityField) headers: the proxy must replace the client's copy, not add to it")
            }
            let name = value.trimmingSpaces
            // Bytes that are not UTF-8 arrive as U+FFFD (NIO decodes the field): `jos\xE9` and `jos\xE8` would be one subject.
            if name.unicodeScalars.contains("\u{FFFD}") {
                return .refused("the identity header is not UTF-8 (or names U+FFFD): two different logins could read as one")
            }
            if !name.isEmpty, Name.isValidSubject(name) {
                // Passed on as received; a name reserved for anonymous members is never a signed-in person.
                guard !Self.isReservedSubject(name) else {
                    return .refused("the identity header names \(name), a name reserved for anonymous members")
                }
                return .identity(String(name))
            }
        }
        let cookies = request.headers[values: .cookie]
        guard !cookies.isEmpty else { return nil }
        var secrets = Cookie.values(named: Self.hostPrefix + configuration.anonymousCookie, in: cookies)
        if !secure { secrets += Cookie.values(named: configuration.anonymousCookie, in: cookies) }
        for secret in secrets {
            if let subject = AnonymousMember.subject(forSecret: secret) { return .anonymous(subject) }
        }
        return nil
    }

    /// Whether a name is one the gateway gives anonymous members (`anon-…`, `anonymous`), in any case: an app that
    /// lowercases names would otherwise take a login `Anon-…` for an anonymous member. A name with other than ASCII in
    /// it is also compared folded as an app might fold it (compatibility forms, full case, Unicode spaces trimmed:
    /// `ＡＮＯＮ－…`, `anonymouſ`, `\u{A0}anon-…`).
    static func isReservedSubject(_ name: Substring) -> Bool {
        func reserved(_ lowered: some Sequence<UInt8>) -> Bool {
            lowered.starts(with: "anon-".utf8) || lowered.elementsEqual(Gatekeeper.anonymousSubject.utf8)
        }
        if reserved(name.utf8.lazy.map(ASCII.lowercased)) { return true }
        guard name.utf8.contains(where: { $0 >= 0x80 }) else { return false }
        let folded = String(name).precomposedStringWithCompatibilityMapping.uppercased().lowercased().precomposedStringWithCompatibilityMapping
        // An app trims too, and Unicode spaces (U+00A0, U+3000…) and a BOM survive the gateway's own ASCII trim.
        let trimmed = folded.unicodeScalars.drop { $0.properties.isWhitespace || $0 == "\u{FEFF}" }
        let core = trimmed.reversed().drop { $0.properties.isWhitespace || $0 == "\u{FEFF}" }.reversed()
        return reserved(String(String.UnicodeScalarView(core)).utf8.lazy.map(ASCII.lowercased))
    }

    /// The project the protected resource belongs to: the path's when a template is set, else `X-Tessera-Project` or any.
    func project(_ request: Request, trusted: Bool) -> Presentation.ProjectRequirement {
        var header: String?
        let values = request.headers[values: Self.projectField]
        if !values.isEmpty {
            guard values.count == 1 else { return .unresolved("the request carries \(values.count) X-Tessera-Project headers") }
            let name = values[0].trimmingSpaces
            guard Name.isValidProjectOrRole(name) else { return .unresolved("the X-Tessera-Project header is not a project name") }
            header = String(name)
        }
        // A URI the proxy and the gateway could read differently grants nothing, with or without a template.
        let original = trusted || configuration.projectFromPath != nil ? originalURI(request, trusted: trusted) : nil
        if case .success(let uri)? = original, let why = ProjectPathTemplate.nonCanonicalReason(uri) {
            return .unresolved(why)
        }
        guard let template = configuration.projectFromPath, let original else {
            return header.map(Presentation.ProjectRequirement.project) ?? .any
        }
        let uri: String
        switch original {
        case .success(let found): uri = found
        case .failure(let conflict): return .unresolved(conflict.why)
        }
        // The path is the only source: a header never stands in for a URI that does not fit.
        guard let fromPath = template.project(in: uri) else {
            return .unresolved("the request URI names no project (expected \(template))")
        }
        if let header, header != fromPath {
            return .unresolved("the X-Tessera-Project header (\(header)) and the request URI (\(fromPath)) disagree")
        }
        return .project(fromPath)
    }

    /// Why the original URI could not be told.
    struct URIConflict: Error {
        let why: String
    }

    /// The URI the client asked the proxy for: the operator's forwarded-URI header from a trusted proxy, else the gateway's own path minus `/verify`.
    func originalURI(_ request: Request, trusted: Bool) -> Result<String, URIConflict> {
        if trusted {
            // One pass over the fields: every forwarded-URI header must agree; the operator's names the URI.
            var first: String?
            var named: String?
            for field in request.headers where uriFields.contains(field.name) {
                // Byte for byte: as Strings, `;` and U+037E (Greek question mark) are equal, and a proxy reads bytes.
                if let first, !first.utf8.elementsEqual(field.value.utf8) {
                    return .failure(URIConflict(why: "the request carries forwarded-URI headers that disagree"))
                }
                first = first ?? field.value
                if named == nil, field.name == forwardedURIField { named = field.value }
            }
            if let uri = named {
                guard uri.hasPrefix("/") else { return .failure(URIConflict(why: "the \(forwardedURIField) header is not a path")) }
                return .success(uri)
            }
        }
        let own = request.head.path ?? "/"
        let rest = own.hasPrefix(Gateway.verifyPath) ? own.dropFirst(Gateway.verifyPath.count) : ""
        return .success(rest.hasPrefix("/") ? String(rest) : "/")
    }

    /// The gateway's own origin as the browser sees it: the scheme and host the trusted proxy forwarded, else the request's own.
    func ownOrigin(_ request: Request, trusted: Bool) -> String? {
        let scheme = isHTTPS(request, trusted: trusted) ? "https" : "http"
        var authority: String?
        if trusted, let forwarded = request.headers[Self.forwardedHostField] {
            authority = forwarded.split(separator: ",").first.map { String($0.trimmingSpaces) }
        }
        guard let host = authority ?? request.head.authority else { return nil }
        return WebOrigin.host(host, scheme: scheme).map { "\(scheme)://\($0)" }
    }

    /// Where a form was posted from: the `Origin` header, or without one the origin of `Referer`; nil when neither names an http(s) origin (`Origin: null` included).
    func postedFrom(_ request: Request) -> String? {
        let origins = request.headers[values: Self.originField]
        if !origins.isEmpty {
            guard origins.count == 1 else { return nil }
            return WebOrigin.of(origins[0])
        }
        let referers = request.headers[values: Self.refererField]
        guard referers.count == 1 else { return nil }
        return WebOrigin.of(referers[0])
    }

    /// The client's method, for logs.
    func originalMethod(_ request: Request, trusted: Bool) -> String {
        if trusted, let method = request.headers[Self.forwardedMethodField] ?? request.headers[Self.originalMethodField] { return method }
        return request.method.rawValue
    }

    /// Whether the browser reached the site over https, which decides `Secure` on cookies in `auto` mode.
    func isHTTPS(_ request: Request, trusted: Bool) -> Bool {
        if trusted, let proto = Self.value(of: Self.forwardedProtoField, in: request.headers) {
            return proto.split(separator: ",").first?.trimmingSpaces.lowercased() == "https"
        }
        return request.head.scheme?.lowercased() == "https"
    }

    /// A field's value as `headers[name]` reads it (several fields joined by commas), without copying a lone one:
    /// the joined read builds a new String even for one field, and the bearer token is hundreds of bytes.
    static func value(of name: HTTPField.Name, in headers: HTTPFields) -> String? {
        var found: String?
        for field in headers where field.name == name {
            guard found == nil else { return headers[name] }
            found = field.value
        }
        return found
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
