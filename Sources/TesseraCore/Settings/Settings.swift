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
/// ledger = "sqlite:state/ledger.sqlite"             # or postgres://user:pass@host:5432/db
///
/// [gateway]
/// listen = "127.0.0.1:8080"
/// redirect = "https://app.example.org/projects/{project}/"
/// identity_header = "X-Forwarded-User"
/// trusted_proxies = ["127.0.0.1/32", "::1/128"]
/// project_from_path = "/projects/{project}/"
/// max_header_bytes = 32768                          # request URI and headers; more is refused with 431
/// read_timeout = "10s"                              # the longest a client may take to send one request
/// ```
public struct Settings: Sendable, Equatable {
    public var baseURL: String?
    public var joinURL: String?
    public var audience: String?
    public var issuer: String?
    public var roles: [String]?
    public var defaultRole: String?
    public var defaultExpiry: String?
    public var ledger: String?
    /// Where verifiers read the revocation list: a file in the site or the URL of a published `revoked.paseto` (as `--revoked`).
    public var revoked: String?
    /// The `[gateway]` table, for `tessera-verify serve`.
    public var gateway = Gateway()

    /// Settings of `tessera-verify serve`.
    public struct Gateway: Sendable, Equatable {
        public var listen: String?
        public var redirect: String?
        public var identityHeader: String?
        public var trustedProxies: [String]?
        public var projectFromPath: String?
        /// `max_header_bytes`, in bytes.
        public var maxHeaderBytes: Int?
        /// `read_timeout`, in seconds.
        public var readTimeout: Int64?
        /// Seconds between fetches of a revocation list published at a URL.
        public var revokedRefresh: Int64?
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
                if entry.key == "audience" { settings.audience = text } else { settings.issuer = text }
            case (nil, "roles"):
                let roles = try strings()
                guard let bad = roles.first(where: { !Name.isValidProjectOrRole($0) }) else { settings.roles = roles; continue }
                throw fail("role \"\(bad)\" is not a valid name (1-64 of A-Z a-z 0-9 . _ -)")
            case (nil, "default_role"):
                let role = try string()
                guard Name.isValidProjectOrRole(role) else { throw fail("default_role \"\(role)\" is not a valid name") }
                settings.defaultRole = role
            case (nil, "default_expiry"): settings.defaultExpiry = try string()
            case (nil, "ledger"): settings.ledger = try string()
            case (nil, "revoked"):
                let text = try string()
                do {
                    _ = try RevocationSource(parsing: text)
                } catch {
                    throw fail("revoked \(error.message)")
                }
                settings.revoked = text
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
            case (let table?, let key) where table == "gateway":
                throw fail("unknown key \(key) in [gateway]; known: listen, redirect, identity_header, trusted_proxies, project_from_path, max_header_bytes, read_timeout, revoked_refresh")
            case (let table?, _):
                throw fail("unknown table [\(table)]; known: [gateway]")
            case (nil, let key):
                throw fail("unknown key \(key); known: base_url, join_url, audience, issuer, roles, default_role, default_expiry, ledger, revoked, [gateway]")
            }
        }
        if let role = settings.defaultRole, let roles = settings.roles, !roles.contains(role) {
            throw Error(path: path, line: entries.first { $0.key == "default_role" }?.line ?? 0, message: "default_role \(role) is not in roles")
        }
        return settings
    }
}
