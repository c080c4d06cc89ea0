import Hummingbird

/// TesseraGateway: `tessera-verify serve`, the HTTP decision service behind a reverse proxy.
///
/// `buildApplication(_:ledger:)` assembles it: `/verify` (every method, and any path below
/// it) answers the proxy's subrequest with 200, 401, 403 or 503 and nothing else; `/join`
/// redeems an invitation from a link page and sets the cookies; `/healthz` and `/metrics`
/// are for operators. A background service reloads `revoked.txt` and the keys folder.
/// `GatewayChannel` bounds what each connection may cost: header and body caps, read timeouts.
public enum Gateway {
    /// The decision endpoint; any path below it is the same endpoint (Envoy appends the original path).
    static let verifyPath = "/verify"

    /// Whether a request path (without its query) is `/verify` or below it: where the decision answers, on every method.
    static func isVerifyPath(_ path: Substring) -> Bool {
        path == verifyPath || (path.hasPrefix(verifyPath) && path.dropFirst(verifyPath.count).first == "/")
    }
    /// The redemption endpoint the link pages post to.
    static let joinPath = "/join"
}

/// An HTTP header name. HTTPTypes' `HTTPField` is not re-exported by Hummingbird, so it is reached through `HTTPFields`.
typealias HeaderName = HTTPFields.Element.Name
/// One HTTP header line.
typealias HeaderField = HTTPFields.Element
