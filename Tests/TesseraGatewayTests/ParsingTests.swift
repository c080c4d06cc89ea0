import HTTPTypes
import Testing
@testable import TesseraGateway
import TesseraTestSupport

/// The small parsers the gateway's trust decisions rest on.
@Suite(.offThePool) struct ParsingTests {
    @Test func addressRanges() throws {
        let loopback = AddressRange.loopback
        #expect(loopback.contains { $0.contains(address: "127.0.0.1") })
        #expect(loopback.contains { $0.contains(address: "127.200.3.4") })
        #expect(loopback.contains { $0.contains(address: "::1") })
        #expect(loopback.contains { $0.contains(address: "::ffff:127.0.0.1") })
        #expect(!loopback.contains { $0.contains(address: "128.0.0.1") })
        #expect(!loopback.contains { $0.contains(address: "::2") })
        #expect(!loopback.contains { $0.contains(address: "not an address") })
        let lan = try #require(AddressRange("10.1.0.0/16"))
        #expect(lan.contains(address: "10.1.255.7"))
        #expect(!lan.contains(address: "10.2.0.1"))
        #expect(try #require(AddressRange("192.168.1.77/20")).description == "192.168.0.0/20")
        #expect(try #require(AddressRange("fd00::/8")).contains(address: "fd12:3456::1"))
        #expect(AddressRange("10.0.0.0/33") == nil)
        #expect(AddressRange("10.0.0.0/") == nil)
        #expect(AddressRange("10.0.0") == nil)
        #expect(AddressRange("::1/129") == nil)
    }

    @Test func projectTemplates() throws {
        let template = try ProjectPathTemplate("/projects/{project}/")
        #expect(template.project(in: "/projects/lab/") == "lab")
        #expect(template.project(in: "/projects/lab/a/b?c=d") == "lab")
        #expect(template.project(in: "/projects/lab") == "lab")
        #expect(template.project(in: "/projects/lab?x") == "lab")
        #expect(template.project(in: "//projects//lab//x") == "lab")
        #expect(template.project(in: "/projects/a/../b/") == "b")
        #expect(template.project(in: "/projects/a/%2e%2e/b/") == "b")
        #expect(template.project(in: "/projects/./lab/") == "lab")
        #expect(template.project(in: "/projects/l%61b/") == "lab")
        #expect(template.project(in: "/projects/a%2fb/") == nil)
        #expect(template.project(in: "/projects/../../etc") == nil)
        #expect(template.project(in: "/projects/") == nil)
        #expect(template.project(in: "/other/lab/") == nil)
        #expect(template.project(in: "/projects/bad name/") == nil)
        #expect(template.project(in: "/projects/%zz/") == nil)
        #expect(template.project(in: "projects/lab/") == nil)
        #expect(template.cookiePath(for: "lab") == "/projects/lab/")
        let nested = try ProjectPathTemplate("/p/{project}/app/")
        #expect(nested.project(in: "/p/lab/app/x") == "lab")
        #expect(nested.project(in: "/p/lab/other/x") == nil)
        #expect(throws: ProjectPathTemplate.Error.self) { try ProjectPathTemplate("/projects/") }
        #expect(throws: ProjectPathTemplate.Error.self) { try ProjectPathTemplate("/p/{project}/{project}/") }
        #expect(throws: ProjectPathTemplate.Error.self) { try ProjectPathTemplate("/p/x{project}/") }
        #expect(throws: ProjectPathTemplate.Error.self) { try ProjectPathTemplate("projects/{project}/") }
    }

    /// The byte scan in `nonCanonicalReason` gives the same answer, word for word, as the plain reading it replaced
    /// (kept below as the reference), on hostile pieces put together every which way.
    @Test func nonCanonicalPathsAreReadAsTheReferenceReadsThem() {
        let pieces = ["/", "/", "/", ".", ".", "%2e", "%2E", "%5c", "%5C", "\\", ";", "%2f", "%2F", "%00", "%", "%2", "%5", "2", "e",
                      "E", "c", "lab", "?", "#", "%0\u{10}", "%2\u{45}", "\u{212A}", "é", "%41"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var uri = Bool.random(using: &generator) ? "/" : ""
            for _ in 0..<Int.random(in: 0...8, using: &generator) { uri += pieces.randomElement(using: &generator)! }
            #expect(ProjectPathTemplate.nonCanonicalReason(uri) == Self.referenceNonCanonicalReason(uri), "\(uri.debugDescription)")
        }
        for uri in ["/", "", "//", "/a/", "/a//b", "/%2e", "/.%2E/x", "/...", "/a/..", "/a;b/", "/a/%5Cb", "/%2F", "/x%00", "/ok/?a//b", "/ok#/../"] {
            #expect(ProjectPathTemplate.nonCanonicalReason(uri) == Self.referenceNonCanonicalReason(uri), "\(uri.debugDescription)")
        }
        #expect(ProjectPathTemplate.nonCanonicalReason("/projects/lab/a.css?v=1") == nil)
        #expect(ProjectPathTemplate.nonCanonicalReason("/projects/talk/#/../../lab/secret.txt") == "the forwarded URI has a # (a fragment, which no browser sends)")
        #expect(ProjectPathTemplate.nonCanonicalReason("/projects/talk/?q=#x") != nil)
        #expect(ProjectPathTemplate.nonCanonicalReason("/projects/%2E./x") == "the forwarded URI has a dot segment (%2e.) in its path")
    }

    /// `nonCanonicalReason` as first written (per segment, lowercased into a String and searched), with the later
    /// refusal of a raw `#` first.
    static func referenceNonCanonicalReason(_ uri: String) -> String? {
        if uri.utf8.contains(UInt8(ascii: "#")) { return "the forwarded URI has a # (a fragment, which no browser sends)" }
        let path = uri.utf8.prefix { $0 != UInt8(ascii: "?") }
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
            let dots = lowered.replacing("%2e", with: ".")
            if dots == "." || dots == ".." { return "the forwarded URI has a dot segment (\(lowered)) in its path" }
        }
        return nil
    }

    @Test func listenAddresses() {
        #expect(ListenAddress(parsing: "127.0.0.1:8080") == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(ListenAddress(parsing: ":9000") == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(ListenAddress(parsing: "[::1]:9000") == ListenAddress(host: "::1", port: 9000))
        #expect(ListenAddress(parsing: "[::1]:9000")?.description == "[::1]:9000")
        #expect(ListenAddress(parsing: "localhost:0") == ListenAddress(host: "localhost", port: 0))
        #expect(ListenAddress(parsing: "127.0.0.1") == nil)
        #expect(ListenAddress(parsing: "127.0.0.1:99999") == nil)
        #expect(ListenAddress(parsing: "::1:80") == nil)
        #expect(ListenAddress(parsing: "host:+80") == nil)
    }

    @Test func cookies() {
        #expect(Cookie.values(named: "tessera", in: ["a=1; tessera=one; tessera_anon=x", "tessera=\"two\""]) == ["one", "two"])
        #expect(Cookie.values(named: "tessera", in: ["xtessera=1; tessera =sp; tessera="]) == ["sp"])
        #expect(Cookie.setCookie(name: "tessera", value: "v", path: "/", maxAge: 60, secure: true) == "tessera=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure")
        #expect(Cookie.isValidName("tessera_anon"))
        #expect(!Cookie.isValidName("bad;name"))
        #expect(!Cookie.isValidName(""))
    }

    @Test func forms() {
        #expect(FormFields.value(named: "token", in: "a=1&token=v4.public.abc-_&b=2") == "v4.public.abc-_")
        #expect(FormFields.value(named: "token", in: "token=a%2Bb+c") == "a+b c")
        #expect(FormFields.value(named: "token", in: "token") == "")
        #expect(FormFields.value(named: "token", in: "tokens=x") == nil)
        #expect(FormFields.value(named: "token", in: "token=%zz") == nil)
    }

    @Test func bearerHeaders() {
        #expect(RequestReader.bearerToken("Bearer abc") == "abc")
        #expect(RequestReader.bearerToken("bearer   abc  ") == "abc")
        #expect(RequestReader.bearerToken("Basic abc") == nil)
        #expect(RequestReader.bearerToken("Bearer ") == nil)
        #expect(RequestReader.bearerToken("Bearerabc") == nil)
        #expect(RequestReader.bearerToken(nil) == nil)
    }

    /// The hot path's field read answers exactly as `HTTPFields`' own subscript: two `Authorization` headers are
    /// joined (and so no longer one bearer token), not the first one believed.
    @Test func fieldValuesReadLikeTheSubscript() {
        var fields = HTTPFields()
        #expect(RequestReader.value(of: .authorization, in: fields) == nil)
        fields.append(HTTPField(name: .accept, value: "*/*"))
        fields.append(HTTPField(name: .authorization, value: "Bearer one"))
        #expect(RequestReader.value(of: .authorization, in: fields) == "Bearer one")
        fields.append(HTTPField(name: .authorization, value: "Bearer two"))
        #expect(RequestReader.value(of: .authorization, in: fields) == fields[.authorization])
        #expect(RequestReader.value(of: .authorization, in: fields) == "Bearer one, Bearer two")
        #expect(RequestReader.bearerToken(RequestReader.value(of: .authorization, in: fields)) == "one, Bearer two")
    }

    @Test func pagesEscapeText() {
        #expect(JoinPage.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }
}
