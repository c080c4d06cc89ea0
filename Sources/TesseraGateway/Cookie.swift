/// Reading `Cookie` headers and writing `Set-Cookie` lines, for the two cookies the gateway uses.
enum Cookie {
    /// The values of every cookie named `name`, in header order (a browser sends the most specific path first).
    static func values(named name: String, in headers: [String]) -> [String] {
        var result: [String] = []
        for header in headers {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                guard trimmed[..<equals].trimmingTrailingSpace == name else { continue }
                var value = trimmed[trimmed.index(after: equals)...].trimmingTrailingSpace
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
                if !value.isEmpty { result.append(String(value)) }
            }
        }
        return result
    }

    /// A `Set-Cookie` value: HttpOnly and SameSite=Lax always, so scripts cannot read it and other sites cannot send it on POSTs.
    static func setCookie(name: String, value: String, path: String, maxAge: Int64, secure: Bool) -> String {
        var text = "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
        if secure { text += "; Secure" }
        return text
    }

    /// The longest lifetime browsers honour (RFC 6265bis caps Max-Age at 400 days).
    static let maximumAge: Int64 = 400 * 24 * 3600
}

extension Substring {
    fileprivate var trimmingTrailingSpace: Substring {
        var result = self
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}

extension Cookie {
    /// Whether `name` is an RFC 6265 cookie name made of the safe subset: letters, digits, `-` and `_`.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
