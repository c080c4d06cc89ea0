/// A site's settings from `tessera.toml`; every field is optional and command-line flags override it.
///
/// ```toml
/// base_url = "https://invites.example.org/"        # where out/ is published
/// join_url = "https://gw.example.org/join"          # the gateway's join endpoint; {project} and {jti} are filled in
/// audience = "gw.example.org"
/// issuer = "Example Lab"
/// roles = ["viewer", "editor", "maintainer"]       # mint refuses other roles
/// default_role = "viewer"
/// default_expiry = "14d"
/// default_member_for = "30d"                      # each membership ends this long after it was accepted
/// signup = false                                  # a --uid invitation never creates an account here
/// email_from = "invitations@example.org"          # the From: address of `mint --email` (name: issuer)
/// ledger = "sqlite:state/ledger.sqlite"             # or postgres://user:pass@host:5432/db
/// slides = true                                     # mint writes slide.svg and slide.png (as --slide)
/// short_links = true                                # mint gives open invitations a short link (as --short)
///
/// [gateway]
/// listen = "127.0.0.1:8080"
/// redirect = "https://app.example.org/projects/{project}/"
/// identity_header = "X-Forwarded-User"
/// trusted_proxies = ["127.0.0.1/32", "::1/128"]
/// project_from_path = "/projects/{project}/"
/// max_header_bytes = 32768                          # request URI and headers; more is refused with 431
/// read_timeout = "10s"                              # the longest a client may take to send one request
/// forwarded_uri_header = "X-Forwarded-Uri"           # the one header carrying the client's URI
/// join_origins = ["https://www.example.org"]         # pages besides base_url's origin that may POST /join
/// on_join = "https://app.example.org/hooks/tessera" # POST each new membership here
/// on_join_secret = "state/on-join.secret"           # the HMAC key of its signature (mode 0600)
/// ```
public struct Settings: Sendable, Equatable {
    public var baseURL: String?
    public var joinURL: String?
    public var audience: String?
    public var issuer: String?
    public var roles: [String]?
    public var defaultRole: String?
    public var defaultExpiry: String?
    /// `default_member_for`: the span `tessera mint --member-for` takes when not given, in seconds.
    public var defaultMemberFor: Int64?
    /// `signup`: whether a `uid` invitation may create its account (default true).
    public var signup: Bool?
    public var ledger: String?
    /// The sender address of invitation emails (`mint --email`); the display name is `issuer`.
    public var emailFrom: String?
    /// Where verifiers read the revocation list: a file in the site or the URL of a published `revoked.paseto` (as `--revoked`).
    public var revoked: String?
    /// `slides`: every minted invitation gets `slide.svg` and `slide.png` (as `tessera mint --slide`).
    public var slides: Bool?
    /// `short_links`: every open invitation minted gets a short link (as `tessera mint --short`).
    public var shortLinks: Bool?
    /// `revoked_valid_for`, in seconds: `tessera build` gives the signed list this `exp`; nil (the default) for none.
    public var revokedValidFor: Int64?
    /// The `[gateway]` table, for `tessera-verify serve`.
    public var gateway = Gateway()
    /// The line of each setting in the file, for errors found after parsing (`gateway.listen` for a key of `[gateway]`).
    public var lines = Lines()

    /// Where each setting was written; not part of what the settings are (two files that say the same are equal).
    public struct Lines: Sendable, Equatable {
        var byKey: [String: Int] = [:]
        public init() {}
        /// The line of `key` (`listen` in `[gateway]` is `gateway.listen`), or nil when it was not in the file.
        public subscript(key: String) -> Int? { byKey[key] }
        public static func == (lhs: Lines, rhs: Lines) -> Bool { true }
    }

    /// Where a setting was read, for a message: `tessera.toml:7: listen`, or just the key when the line is unknown.
    public func origin(_ key: String, in path: String) -> String {
        let shown = key.hasPrefix("gateway.") ? "[gateway] " + key.dropFirst("gateway.".count) : key
        return lines[key].map { "\(path):\($0): \(shown)" } ?? "\(path): \(shown)"
    }

    /// Whether `text` is one plain email address: `local@domain.tld` of printable ASCII, no display name, nothing a header could be split on.
    public static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && text.utf8.count <= 254
            && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    /// A value read from the file, quoted for a message and cut to 80 characters: a 500 KB value is not echoed whole.
    public static func quoted(_ value: String, limit: Int = 80) -> String {
        guard value.count > limit else { return "\"\(value)\"" }
        return "\"\(value.prefix(limit))…\" (\(value.utf8.count) bytes)"
    }

    /// The same cut, unquoted, for a bare value such as a number.
    public static func cut(_ value: String, limit: Int = 80) -> String {
        guard value.count > limit else { return value }
        return "\(value.prefix(limit))… (\(value.utf8.count) bytes)"
    }

    /// The placeholders `base_url`, `join_url` and `[gateway] redirect` may hold, filled in for each invitation.
    public static let urlPlaceholders = ["{project}", "{jti}"]

    /// Why `base_url` or `join_url` cannot be written into pages, or nil when it can.
    ///
    /// Page addresses are `base_url` + `i/<id>/`: after a query string or a fragment that would
    /// be no path at all, so neither is accepted (in `join_url` either: the form posts the token to
    /// it and the gateway reads no query).
    static func checkPageAddress(_ text: String, key: String) -> String? {
        if text.contains("?") { return "\(key) must not hold a query string (?…): \(quoted(text)); write the address without it" }
        if text.contains("#") { return "\(key) must not hold a fragment (#…): \(quoted(text)); write the address without it" }
        return checkPlaceholders(text, key: key)
    }

    /// Why an address template holds a placeholder nothing fills, or nil when it holds none.
    ///
    /// Braces other than `{project}` and `{jti}` (`{id}`, `{Project}`, a `{project` never closed)
    /// would be written raw into every page, QR code, email or redirect; a brace is no URL character anyway.
    public static func checkPlaceholders(_ text: String, key: String) -> String? {
        var rest = text
        for placeholder in urlPlaceholders { rest = rest.replacing(placeholder, with: "") }
        guard let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) else { return nil }
        let close = rest[open...].firstIndex(of: "}").map { rest.index(after: $0) } ?? rest.endIndex
        let unknown = rest[open] == "{" ? String(rest[open..<close]) : "}"
        return "\(key) holds the unknown placeholder \(quoted(unknown, limit: 40)); only {project} and {jti} are filled in"
    }

    /// Settings of `tessera-verify serve`.
    public struct Gateway: Sendable, Equatable {
        public var listen: String?
        public var redirect: String?
        public var identityHeader: String?
        public var trustedProxies: [String]?
        public var projectFromPath: String?
        /// `forwarded_uri_header`: the header that carries the client's URI from the proxy.
        public var forwardedURIHeader: String?
        /// `join_origins`: origins besides `base_url`'s from which `POST /join` is accepted.
        public var joinOrigins: [String]?
        /// `max_header_bytes`, in bytes.
        public var maxHeaderBytes: Int?
        /// `read_timeout`, in seconds.
        public var readTimeout: Int64?
        /// Seconds between fetches of a revocation list published at a URL.
        public var revokedRefresh: Int64?
        /// `on_join`: where each new membership is POSTed.
        public var onJoin: String?
        /// `on_join_secret`: the file holding the signature's shared secret (relative to the site).
        public var onJoinSecret: String?
        public static let revokedRefreshRange: ClosedRange<Int64> = 1...86_400

        /// The header caps accepted: room for a maximum-size token and the usual headers, up to 1 MiB.
        public static let maxHeaderBytesRange = (SignedToken.maximumLength + 4096)...(1 << 20)
        /// The read timeouts accepted, in seconds.
        public static let readTimeoutRange: ClosedRange<Int64> = 1...3600

        public init() {}
    }

    public init() {}

    /// A problem in `tessera.toml`, with its line.
    public struct Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let message: String

        /// `path:line: message`; line 0 is for a file that could not be read, whose message names it already.
        public var description: String { line > 0 ? "\(path):\(line): \(message)" : message }
    }

    /// Reads `tessera.toml` of a site; a missing file gives the defaults (all nil).
    public static func load(_ site: SiteFolder) throws(Error) -> Settings {
        let path = site.settings
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.readIfPresent(path, limit: 1 << 20)
        } catch {
            throw Error(path: path, line: 0, message: error.description)
        }
        guard let bytes else { return Settings() }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Error(path: path, line: TOMLSubset.lineOfInvalidUTF8(in: bytes), message: "not valid UTF-8") }
        return try parse(text, path: path)
    }

    /// Parses the text of a `tessera.toml`; an unknown key or a bad value is an error naming its line.
    public static func parse(_ text: String, path: String = "tessera.toml") throws(Error) -> Settings {
        let entries: [TOMLSubset.Entry]
        do throws(TOMLSubset.ParseError) {
            let parsed = try TOMLSubset.parse(text)
            if let unknown = parsed.tables.first(where: { $0.name != "gateway" }) {
                throw TOMLSubset.ParseError(line: unknown.line, message: "unknown table [\(unknown.name)]; known: [gateway]")
            }
            entries = parsed.entries
        } catch {
            throw Error(path: path, line: error.line, message: error.message)
        }
        var settings = Settings()
        for entry in entries {
            settings.lines.byKey[(entry.table.map { $0 + "." } ?? "") + entry.key] = entry.line
            func fail(_ message: String) -> Error { Error(path: path, line: entry.line, message: message) }
            func string() throws(Error) -> String {
                guard case .string(let text) = entry.value else { throw fail("\(entry.key) must be a \"string\"") }
                return text
            }
            func strings() throws(Error) -> [String] {
                guard case .strings(let list) = entry.value else { throw fail("\(entry.key) must be a list of strings such as [\"a\", \"b\"]") }
                return list
            }
            func url() throws(Error) -> String {
                let text = try string()
                guard text.hasPrefix("https://") || text.hasPrefix("http://") else { throw fail("\(entry.key) must start with https:// or http://") }
                if entry.table == nil, entry.key == "base_url" || entry.key == "join_url" {
                    if let problem = checkPageAddress(text, key: entry.key) { throw fail(problem) }
                } else if entry.table == "gateway", entry.key == "redirect", let problem = checkPlaceholders(text, key: "[gateway] redirect") {
                    // The redirect is filled in too (a query there is fine: it is no base for other paths).
                    throw fail(problem)
                }
                // Checked with its placeholders filled in, since {project} may stand in a host name.
                let filled = text.replacing("{project}", with: "p").replacing("{jti}", with: "j")
                guard RemoteURL(filled) != nil else {
                    throw fail("\(entry.key) must be an address with a host, such as https://invites.example.org/ (no spaces, user name or non-ASCII characters)")
                }
                return text
            }
            switch (entry.table, entry.key) {
            case (nil, "base_url"): settings.baseURL = try url()
            case (nil, "join_url"): settings.joinURL = try url()
            // Both go into every token: as long as a subject at most, and never a control character.
            case (nil, "audience"), (nil, "issuer"):
                let text = try string()
                guard Name.isValidSubject(text) else { throw fail("\(entry.key) must be 1-256 bytes without control characters") }
                guard !Name.containsBidiControls(text) else { throw fail("\(entry.key) holds a bidirectional control character, which would make it display as other text") }
                if entry.key == "audience" { settings.audience = text } else { settings.issuer = text }
            case (nil, "roles"):
                let roles = try strings()
                guard let bad = roles.first(where: { !Name.isValidProjectOrRole($0) }) else { settings.roles = roles; continue }
                throw fail("role \(quoted(bad)) is not a valid name (1-64 of A-Z a-z 0-9 . _ -)")
            case (nil, "default_role"):
                let role = try string()
                guard Name.isValidProjectOrRole(role) else { throw fail("default_role \(quoted(role)) is not a valid name") }
                settings.defaultRole = role
            case (nil, "email_from"):
                let text = try string()
                guard isEmailAddress(text) else { throw fail("email_from \(quoted(text)) is not one plain address such as invitations@example.org") }
                settings.emailFrom = text
            case (nil, "default_expiry"):
                let text = try string()
                guard text == "never" || (TimeSpan.seconds(in: text) ?? 0) > 0 || Timestamp(rfc3339: text) != nil else {
                    throw fail("default_expiry \(quoted(text)) is not a span, a time or 'never' (for example 14d, 36h, 2026-12-01T18:00:00Z or never)")
                }
                settings.defaultExpiry = text
            case (nil, "default_member_for"):
                guard case .string(let text) = entry.value, let seconds = TimeSpan.seconds(in: text), (1...Invitation.maximumMemberFor).contains(seconds) else {
                    throw fail("default_member_for must be a length of time such as \"7d\" or \"12h\"")
                }
                settings.defaultMemberFor = seconds
            case (nil, "signup"):
                guard case .boolean(let flag) = entry.value else { throw fail("signup must be true or false") }
                settings.signup = flag
            case (nil, "ledger"):
                let text = try string()
                do {
                    _ = try LedgerLocation(parsing: text)
                } catch {
                    throw fail("ledger \(quoted(LedgerLocation.redacted(text))) is not sqlite:PATH, postgres://… or postgresql://…")
                }
                settings.ledger = text
            case (nil, "slides"), (nil, "short_links"):
                guard case .boolean(let on) = entry.value else { throw fail("\(entry.key) must be true or false") }
                if entry.key == "slides" { settings.slides = on } else { settings.shortLinks = on }
            case (nil, "revoked"):
                let text = try string()
                do {
                    _ = try RevocationSource(parsing: text)
                } catch {
                    throw fail("revoked \(error.message)")
                }
                settings.revoked = text
            case (nil, "revoked_valid_for"):
                guard case .string(let text) = entry.value, let seconds = TimeSpan.seconds(in: text), seconds >= 60 else {
                    throw fail("revoked_valid_for must be a length of time of at least 1m, such as \"7d\"")
                }
                settings.revokedValidFor = seconds
            case ("gateway", "forwarded_uri_header"): settings.gateway.forwardedURIHeader = try string()
            case ("gateway", "join_origins"):
                let origins = try strings()
                for origin in origins where !(origin.hasPrefix("https://") || origin.hasPrefix("http://")) || RemoteURL(origin) == nil {
                    throw fail("join_origins: \"\(origin)\" is not an origin such as https://www.example.org")
                }
                settings.gateway.joinOrigins = origins
            case ("gateway", "listen"): settings.gateway.listen = try string()
            case ("gateway", "redirect"): settings.gateway.redirect = try url()
            case ("gateway", "identity_header"): settings.gateway.identityHeader = try string()
            case ("gateway", "trusted_proxies"): settings.gateway.trustedProxies = try strings()
            case ("gateway", "project_from_path"): settings.gateway.projectFromPath = try string()
            case ("gateway", "max_header_bytes"):
                let range = Gateway.maxHeaderBytesRange
                guard case .integer(let bytes) = entry.value, range.contains(Int(clamping: bytes)) else {
                    throw fail("max_header_bytes must be a number of bytes from \(range.lowerBound) to \(range.upperBound)")
                }
                settings.gateway.maxHeaderBytes = Int(bytes)
            case ("gateway", "read_timeout"):
                let range = Gateway.readTimeoutRange
                let seconds: Int64? = switch entry.value {
                case .integer(let number): number
                case .string(let text): TimeSpan.seconds(in: text)
                default: nil
                }
                guard let seconds, range.contains(seconds) else {
                    throw fail("read_timeout must be a length of time from \(range.lowerBound)s to \(range.upperBound)s, such as \"10s\"")
                }
                settings.gateway.readTimeout = seconds
            case ("gateway", "revoked_refresh"):
                let range = Gateway.revokedRefreshRange
                guard case .string(let text) = entry.value, let seconds = TimeSpan.seconds(in: text), range.contains(seconds) else {
                    throw fail("revoked_refresh must be a length of time from 1s to 1d, such as \"60s\"")
                }
                settings.gateway.revokedRefresh = seconds
            case ("gateway", "on_join"): settings.gateway.onJoin = try url()
            case ("gateway", "on_join_secret"): settings.gateway.onJoinSecret = try string()
            case (let table?, let key) where table == "gateway":
                throw fail("unknown key \(key) in [gateway]; known: listen, redirect, identity_header, trusted_proxies, project_from_path, forwarded_uri_header, join_origins, max_header_bytes, read_timeout, revoked_refresh, on_join, on_join_secret")
            case (let table?, _):
                throw fail("unknown table [\(table)]; known: [gateway]")
            case (nil, let key):
                throw fail("unknown key \(key); known: base_url, join_url, audience, issuer, roles, default_role, default_expiry, default_member_for, signup, email_from, ledger, revoked, revoked_valid_for, slides, short_links, [gateway]")
            }
        }
        if let role = settings.defaultRole, let roles = settings.roles, !roles.contains(role) {
            throw Error(path: path, line: entries.first { $0.key == "default_role" }?.line ?? 0, message: "default_role \(role) is not in roles")
        }
        return settings
    }
}
