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
    /// segment, a percent-encoded `/` or NUL. A raw `#` anywhere is refused first: a browser never sends a fragment,
    /// nginx forwards it as part of `$request_uri`, and an app may take it into the path (Go's file server resolves
    /// `/projects/talk/#/../../lab/x` to lab's file) where the gateway would stop reading at it.
    public static func nonCanonicalReason(_ uri: String) -> String? {
        // One pass over the UTF-8 bytes, without copies: this runs on every `/verify` from a trusted proxy, and
        // lowercasing each segment into a String was half the cost of a cached decision.
        // Bounds: every index below stays inside `bytes` (`end` is at most its count, slices are taken below `end`).
        var uri = uri
        return uri.withUTF8 { bytes in
            if bytes.contains(UInt8(ascii: "#")) { return "the forwarded URI has a # (a fragment, which no browser sends)" }
            let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
            guard end > 0, bytes[0] == UInt8(ascii: "/") else { return "the forwarded URI is not a path" }
            var start = 1
            while start <= end {
                let stop = bytes[start..<end].firstIndex(of: UInt8(ascii: "/")) ?? end
                if let why = segmentReason(bytes[start..<stop], isLast: stop == end) { return why }
                start = stop + 1
            }
            return nil
        }
    }

    /// Why one path segment (the bytes between two `/`) is not canonical, in the order `nonCanonicalReason` documents.
    private static func segmentReason(_ segment: Slice<UnsafeBufferPointer<UInt8>>, isLast: Bool) -> String? {
        if segment.isEmpty { return isLast ? nil : "the forwarded URI has an empty path segment (//)" }
        var backslash = false, semicolon = false, encodedSlash = false, encodedNUL = false
        // A dot segment is one or two dots, each written `.` or `%2e` in any case; `dots` is nil once the segment is anything else.
        var dots: Int? = 0
        var index = segment.startIndex
        while index < segment.endIndex {
            let byte = segment[index]
            var escape: (UInt8, UInt8)?
            if byte == UInt8(ascii: "%"), segment.endIndex - index >= 3 {
                escape = (segment[index + 1], ASCII.lowercased(segment[index + 2]))
            }
            switch byte {
            case UInt8(ascii: "\\"): backslash = true
            case UInt8(ascii: ";"): semicolon = true
            default: break
            }
            switch escape {
            case (UInt8(ascii: "5"), UInt8(ascii: "c"))?: backslash = true
            case (UInt8(ascii: "2"), UInt8(ascii: "f"))?: encodedSlash = true
            case (UInt8(ascii: "0"), UInt8(ascii: "0"))?: encodedNUL = true
            default: break
            }
            if byte == UInt8(ascii: ".") {
                dots = dots.map { $0 + 1 }
                index += 1
            } else if case (UInt8(ascii: "2"), UInt8(ascii: "e"))? = escape {
                dots = dots.map { $0 + 1 }
                index += 3
            } else {
                dots = nil
                index += 1
            }
        }
        if backslash { return "the forwarded URI has a backslash in its path" }
        if semicolon { return "the forwarded URI has a ; in a path segment" }
        if encodedSlash { return "the forwarded URI has a percent-encoded / in its path" }
        if encodedNUL { return "the forwarded URI has a percent-encoded NUL in its path" }
        if let dots, dots == 1 || dots == 2 {
            return "the forwarded URI has a dot segment (\(String(decoding: segment, as: UTF8.self).lowercased())) in its path"
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
