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

    @Test func pagesEscapeText() {
        #expect(JoinPage.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }
}
