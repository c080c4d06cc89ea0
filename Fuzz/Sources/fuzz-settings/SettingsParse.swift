import FuzzSupport
import TesseraCore

// Input: the bytes of `tessera.toml`, read as `Settings.load` reads them.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = String(validating: input(data, size), as: UTF8.self) else { return 0 }
    let lineCount = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
    let parsed = Result { () throws(Settings.Error) in try Settings.parse(text) }
    // A file saved with CRLF line ends reads as the same file with LF.
    if !text.utf8.contains(0x0d) {
        let crlf = String(decoding: Array(text.utf8).flatMap { $0 == 0x0a ? [0x0d, 0x0a] : [$0] }, as: UTF8.self)
        switch (parsed, Result { () throws(Settings.Error) in try Settings.parse(crlf) }) {
        case (.success(let a), .success(let b)): require(a == b && same(a, b), "CRLF line ends read differently")
        case (.failure(let a), .failure(let b)): require(a.line == b.line, "CRLF line ends move the error from line \(a.line) to \(b.line)")
        case (.success, .failure(let b)): require(false, "CRLF line ends are refused: \(b)")
        case (.failure(let a), .success): require(false, "CRLF line ends hide the error \(a)")
        }
    }
    let settings: Settings
    switch parsed {
    case .success(let value):
        settings = value
    case .failure(let error):
        require((0...lineCount).contains(error.line), "error on line \(error.line) of \(lineCount)")
        return 0
    }
    // What was accepted obeys the rules the parser states.
    if let roles = settings.roles { require(roles.allSatisfy { Name.isValidProjectOrRole($0) }, "invalid role accepted") }
    if let role = settings.defaultRole {
        require(Name.isValidProjectOrRole(role), "invalid default_role accepted")
        if let roles = settings.roles { require(roles.contains(role), "default_role outside roles accepted") }
    }
    for url in [settings.baseURL, settings.joinURL, settings.gateway.redirect].compactMap({ $0 }) {
        require(url.hasPrefix("https://") || url.hasPrefix("http://"), "a URL without http(s) accepted")
    }
    // The settings written back as TOML read back the same. (A new setting needs a line in `write`.)
    let written = write(settings)
    do {
        let again = try Settings.parse(written)
        require(again == settings && same(again, settings), "settings written out read back differently:\n\(written)")
    } catch {
        require(false, "settings written out are refused (\(error)):\n\(written)")
    }
    return 0
}

private func write(_ settings: Settings) -> String {
    var lines: [String] = []
    func add(_ key: String, _ value: String?) { if let value { lines.append("\(key) = \(quoted(value))") } }
    func add(_ key: String, _ values: [String]?) { if let values { lines.append("\(key) = [\(values.map(quoted).joined(separator: ", "))]") } }
    add("base_url", settings.baseURL)
    add("join_url", settings.joinURL)
    add("audience", settings.audience)
    add("issuer", settings.issuer)
    add("roles", settings.roles)
    add("default_role", settings.defaultRole)
    add("default_expiry", settings.defaultExpiry)
    add("ledger", settings.ledger)
    add("revoked", settings.revoked)
    lines.append("[gateway]")
    add("listen", settings.gateway.listen)
    add("redirect", settings.gateway.redirect)
    add("identity_header", settings.gateway.identityHeader)
    add("trusted_proxies", settings.gateway.trustedProxies)
    add("project_from_path", settings.gateway.projectFromPath)
    if let bytes = settings.gateway.maxHeaderBytes { lines.append("max_header_bytes = \(bytes)") }
    if let seconds = settings.gateway.readTimeout { lines.append("read_timeout = \(seconds)") }
    add("revoked_refresh", settings.gateway.revokedRefresh.map { "\($0)s" })
    return lines.joined(separator: "\n") + "\n"
}

private func quoted(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7f:  // TOML strings hold no raw control character, DEL included
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// Field by field by UTF-8 bytes: `==` on `Settings` compares strings up to canonical equivalence.
private func same(_ a: Settings, _ b: Settings) -> Bool {
    func list(_ x: [String]?) -> [[UInt8]]? { x?.map { Array($0.utf8) } }
    return exactly(a.baseURL, b.baseURL) && exactly(a.joinURL, b.joinURL) && exactly(a.audience, b.audience)
        && exactly(a.issuer, b.issuer) && list(a.roles) == list(b.roles) && exactly(a.defaultRole, b.defaultRole)
        && exactly(a.defaultExpiry, b.defaultExpiry) && exactly(a.ledger, b.ledger) && exactly(a.revoked, b.revoked)
        && exactly(a.gateway.listen, b.gateway.listen)
        && exactly(a.gateway.redirect, b.gateway.redirect) && exactly(a.gateway.identityHeader, b.gateway.identityHeader)
        && list(a.gateway.trustedProxies) == list(b.gateway.trustedProxies)
        && exactly(a.gateway.projectFromPath, b.gateway.projectFromPath)
}
