import Hummingbird
import NIOCore
import TesseraCore

/// Everything `tessera-verify serve` is told: where to listen, what to trust, and how to answer.
///
/// A plain value with working defaults, filled from flags and `tessera.toml` by the command
/// and from literals by tests.
public struct GatewayConfiguration: Sendable {
    /// Where the HTTP server listens (default 127.0.0.1:8080: only local proxies can reach it).
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    /// The site folder: `keys/` (or `--keys`) and the default `revoked.txt`.
    public var site = SiteFolder()
    /// The revocation list: a file (`revoked.txt` or a signed `revoked.paseto`) or the URL of a published list; nil means the site's `revoked.txt`, whose absence means nothing is revoked.
    public var revocationSource: RevocationSource?
    /// How often a list published at a URL is fetched again; a failed fetch keeps the last good list and shows on `/healthz`.
    public var remoteRefresh: Duration = .seconds(60)
    /// When set, only invitations for this audience are accepted.
    public var audience: String?
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public var leeway: Int64 = 60
    /// Whether a `uid` invitation may create its account (`signup`, `--no-signup`).
    public var allowsSignup = true
    /// Where each new membership is POSTed (`--on-join`), and the secret that signs it; nil: nowhere.
    public var onJoin: OnJoinTarget?
    /// The request header carrying the signed-in subject, set by the proxy (e.g. `X-Forwarded-User`); nil: no identities.
    public var identityHeader: String?
    /// Peers whose identity header, project header and forwarded headers are believed; anyone else's are ignored.
    public var trustedProxies: [AddressRange] = AddressRange.loopback
    /// Where the required project sits in the original URI, e.g. `/projects/{project}/`.
    public var projectFromPath: ProjectPathTemplate?
    /// The one header, from a trusted proxy, that carries the URI the client asked for (`--forwarded-uri-header`).
    ///
    /// The default is what the README's nginx recipe sets and what Traefik and Caddy send. A
    /// request carrying two forwarded-URI headers (this one and `X-Original-URI`, say) that
    /// disagree is refused: which one a proxy overwrote would otherwise decide the project.
    public var forwardedURIHeader = "X-Forwarded-Uri"
    /// Origins besides the gateway's own from which a `POST /join` is accepted, as `scheme://host[:port]`:
    /// by default the origin of `base_url` (where the link pages live), plus `--join-origin` / `join_origins`.
    public var joinOrigins: [String] = []
    /// Where `/join` sends the browser after a redemption; `{project}` and `{jti}` are replaced.
    public var redirect = "/"
    /// The cookie that carries the token after `/join`.
    public var tokenCookie = "tessera"
    /// The cookie that carries an anonymous member's secret after `/join`; the subject is derived from it (`AnonymousMember`).
    public var anonymousCookie = "tessera_anon"
    /// When cookies get the `Secure` attribute.
    public var cookieSecurity = CookieSecurity.auto
    /// The most verified signatures kept in memory (0 turns the cache off).
    public var signatureCacheSize = 4096
    /// How often `revoked.txt` and the keys folder are checked for changes; an edit is applied once it has held still for one interval, so within two.
    public var reloadInterval: Duration = .milliseconds(200)
    /// How long an idle keep-alive connection from the proxy is kept open.
    public var idleTimeout: Duration = .seconds(75)

    /// Event loop threads for `Gateway.serve`; nil means `defaultThreads`.
    public var threads: Int?

    /// Half the cores, at least one: the gateway shares its machine with the proxy that calls it,
    /// and on two cores a second loop thread only fights nginx for CPU (about 35% fewer requests).
    public static var defaultThreads: Int { max(1, System.coreCount / 2) }

    /// The defaults: loopback only, no identities, no project requirement, redirect to `/`.
    public init() {}

    /// When a cookie set by `/join` is marked `Secure`.
    public enum CookieSecurity: String, Sendable, CaseIterable {
        /// When the browser reached us over https: `X-Forwarded-Proto: https` from a trusted proxy.
        case auto
        /// Always; browsers then drop the cookie on plain http.
        case always
        /// Never (local development over http).
        case never
    }

    /// The most bytes of request URI, header names and values one request may carry; more is answered 431 and the connection closed.
    ///
    /// The default, 32 KiB, is what nginx accepts by default (four 8 KiB header buffers), so
    /// the gateway is never the tighter limit behind it, and fits a maximum-size token
    /// (`SignedToken.maximumLength`) twice, as bearer and cookie, with room for the rest.
    public var maxHeaderBytes = 32 << 10
    /// How long a client may take to send one request, head and body, from its first byte
    /// (or from connecting); a slower one is disconnected. The keep-alive wait between
    /// requests is `idleTimeout`.
    public var readTimeout: Duration = .seconds(10)
    /// The largest request body read (a `/join` form); a bigger one is answered 413 without being buffered.
    public static let maxBodyBytes = 16 << 10

    /// The origin (`scheme://host[:port]`, lowercased, default port dropped) of an http(s) URL, as compared with a browser's `Origin`.
    public static func origin(of url: String) -> String? { WebOrigin.of(url) }

    /// Whether `name` is a valid HTTP header name.
    public static func isValidHeaderName(_ name: String) -> Bool { HeaderName(name) != nil }
}
