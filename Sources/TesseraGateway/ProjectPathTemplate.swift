import TesseraCore

/// Where the project sits in a protected URI, written like `/projects/{project}/`.
///
/// The gateway refuses a forwarded URI that is not canonical before it gets here (`nonCanonicalReason`): nginx and
/// Caddy pass the raw URI to the app, so no normalized reading of it can be trusted to be the app's. The
/// normalization below (percent-decoding, `//` merged, `.` and `..` resolved) is a second line only.
public struct ProjectPathTemplate: Sendable, Equatable, CustomStringConvertible {
    /// The text before `{project}`, e.g. `/projects/`.
    public let prefix: String
    /// The text after `{project}`, e.g. `/`.
    public let suffix: String

    /// Why a template was refused.
    public enum Error: Swift.Error, Equatable, Sendable {
        /// It lacks `{project}`, names it twice, or does not start with `/`.
        case invalid(String)
    }

    /// Parses a template holding `{project}` exactly once, in a path starting with `/`.
    public init(_ text: String) throws(Error) {
        let parts = text.split(separator: "{project}", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalid("\"\(text)\" must contain {project} exactly once") }
        guard text.hasPrefix("/") else { throw .invalid("\"\(text)\" must start with /") }
        guard parts[1].isEmpty || parts[1].hasPrefix("/") else { throw .invalid("\"\(text)\": {project} must be a whole path segment") }
        guard parts[0].hasSuffix("/") else { throw .invalid("\"\(text)\": {project} must be a whole path segment") }
        prefix = String(parts[0])
        suffix = String(parts[1])
    }

    /// The template as written, e.g. `/projects/{project}/`.
    public var description: String { prefix + "{project}" + suffix }

    /// The project named by a request URI (path and optional query), or nil when the URI does not fit the template.
    public func project(in uri: String) -> String? {
        guard let path = Self.normalizedPath(uri), path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        let name = rest.prefix { $0 != "/" }
        guard Name.isValidProjectOrRole(name) else { return nil }
        let after = rest.dropFirst(name.count)
        // `/projects/lab` (no trailing slash) still names lab: the proxy routes it to the same app.
        guard after.hasPrefix(suffix) || (suffix == "/" && after.isEmpty) || suffix.isEmpty else { return nil }
        return String(name)
    }

    /// The cookie path for one project's token: the template up to the project's folder, e.g. `/projects/lab/`.
    public func cookiePath(for project: String) -> String {
        prefix + project + (suffix.hasPrefix("/") ? "/" : "")
    }

    /// Why a forwarded URI's path is not canonical, or nil when it is. The proxy routes the raw URI while the gateway
    /// would judge a normalized one, so any path the two could read differently is refused outright: a `.` or `..`
    /// segment (raw or percent-encoded, any case), an empty segment (`//`), a backslash (raw or `%5C`), a `;` in any
    /// segment, a percent-encoded `/` or NUL.
    public static func nonCanonicalReason(_ uri: String) -> String? {
        let path = uri.utf8.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        guard path.first == UInt8(ascii: "/") else { return "the forwarded URI is not a path" }
        let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        for (offset, segment) in segments.enumerated() {
            if segment.isEmpty {
                if offset == segments.count - 1 { continue }
                return "the forwarded URI has an empty path segment (//)"
            }
            let lowered = String(decoding: segment, as: UTF8.self).lowercased()
            if lowered.contains("\\") || lowered.contains("%5c") { return "the forwarded URI has a backslash in its path" }
            if lowered.contains(";") { return "the forwarded URI has a ; in a path segment" }
            if lowered.contains("%2f") { return "the forwarded URI has a percent-encoded / in its path" }
            if lowered.contains("%00") { return "the forwarded URI has a percent-encoded NUL in its path" }
            let dots = lowered.replacingOccurrences(of: "%2e", with: ".")
            if dots == "." || dots == ".." { return "the forwarded URI has a dot segment (\(lowered)) in its path" }
        }
        return nil
    }

    /// A URI's path with the query dropped, percent-escapes decoded, `//` merged and dot segments resolved; nil when undecodable or climbing above the root.
    public static func normalizedPath(_ uri: String) -> String? {
        let raw = uri.utf8.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        guard raw.first == UInt8(ascii: "/") else { return nil }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                let high = raw.index(after: index)
                guard high < raw.endIndex, raw.index(after: high) < raw.endIndex,
                      let h = hexValue(raw[high]), let l = hexValue(raw[raw.index(after: high)]) else { return nil }
                let value = h << 4 | l
                // A decoded NUL or slash inside a segment is how path confusion starts; refuse it.
                if value == 0 || value == UInt8(ascii: "/") { return nil }
                decoded.append(value)
                index = raw.index(index, offsetBy: 3)
            } else {
                decoded.append(byte)
                index = raw.index(after: index)
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else { return nil }
        var segments: [Substring] = []
        let pieces = text.split(separator: "/", omittingEmptySubsequences: true)
        for piece in pieces {
            switch piece {
            case ".": continue
            case "..":
                guard !segments.isEmpty else { return nil }
                segments.removeLast()
            default: segments.append(piece)
            }
        }
        let trailing = text.hasSuffix("/") || text.hasSuffix("/.") || text.hasSuffix("/..")
        var result = "/" + segments.joined(separator: "/")
        if trailing, !segments.isEmpty { result += "/" }
        return result
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
