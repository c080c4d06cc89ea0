import TesseraCore

/// Where the project sits in a protected URI, written like `/projects/{project}/`.
///
/// The URI is normalized the way nginx normalizes `$uri` before it is matched (percent-decoding,
/// `//` merged, `.` and `..` resolved), so `/projects/a/../b/` is project `b`, the one the
/// proxy actually routes to, and never `a`.
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
