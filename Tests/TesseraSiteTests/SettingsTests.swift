import Testing
@testable import TesseraCore
import TesseraTestSupport

@Suite(.offThePool) struct SettingsTests {
    @Test func readsEveryKeyWithCommentsAndEscapes() throws {
        let settings = try Settings.parse("""
            # a site
            base_url = "https://invites.example.org/"   # where out/ is published
            join_url = 'https://gw.example.org/join/{project}'
            audience = "gw.example.org"
            issuer = "Lab \\"A\\" \\u00e9"
            roles = ["viewer", "editor",]
            default_role = "viewer"
            default_expiry = "36h"
            ledger = "sqlite:state/l.sqlite"
            revoked = "https://invites.example.org/.well-known/tessera/revoked.paseto"

            [gateway]
            listen = "127.0.0.1:9000"
            trusted_proxies = ["127.0.0.1/32"]
            max_header_bytes = 16384
            read_timeout = "30s"
            revoked_refresh = "5m"
            """)
        #expect(settings.baseURL == "https://invites.example.org/")
        #expect(settings.joinURL == "https://gw.example.org/join/{project}")
        #expect(settings.issuer == "Lab \"A\" é")
        #expect(settings.roles == ["viewer", "editor"])
        #expect(settings.defaultExpiry == "36h")
        #expect(settings.ledger == "sqlite:state/l.sqlite")
        #expect(settings.gateway.listen == "127.0.0.1:9000")
        #expect(settings.gateway.trustedProxies == ["127.0.0.1/32"])
        #expect(settings.gateway.maxHeaderBytes == 16384)
        #expect(settings.gateway.readTimeout == 30)
        #expect(settings.revoked == "https://invites.example.org/.well-known/tessera/revoked.paseto")
        #expect(settings.gateway.revokedRefresh == 300)
        #expect(try Settings.parse("[gateway]\nread_timeout = 5").gateway.readTimeout == 5)
    }

    @Test(arguments: [
        ("bogus = 1", 1, "unknown key bogus"),
        ("base_url = \"https://a/\"\nbase_url = \"https://b/\"", 2, "set twice"),
        ("base_url = 42", 1, "must be a \"string\""),
        ("base_url = \"ftp://x/\"", 1, "https://"),
        ("roles = \"viewer\"", 1, "list of strings"),
        ("roles = [\"ok\", \"not ok\"]", 1, "not a valid name"),
        ("default_role = \"admin\"\nroles = [\"viewer\"]", 1, "not in roles"),
        ("\n\nissuer = \"unterminated", 3, "not closed"),
        ("[nope]\nx = 1", 1, "unknown table"),
        ("[gateway]\ncolour = \"red\"", 2, "unknown key colour in [gateway]"),
        ("[gateway]\n\nmax_header_bytes = 1024", 3, "max_header_bytes must be a number of bytes from 12288 to 1048576"),
        ("[gateway]\nmax_header_bytes = \"32k\"", 2, "max_header_bytes must be a number of bytes"),
        ("[gateway]\nread_timeout = \"soon\"", 2, "read_timeout must be a length of time from 1s to 3600s"),
        ("revoked = \"https://user@example.org/r\"", 1, "revoked is not a valid http(s) address"),
        ("revoked = \"\"", 1, "revoked names no file"),
        ("[gateway]\nrevoked_refresh = \"0s\"", 2, "revoked_refresh must be a length of time from 1s to 1d"),
        ("[gateway]\nrevoked_refresh = 60", 2, "revoked_refresh must be a length of time"),
        ("[gateway]\nread_timeout = \"0s\"", 2, "read_timeout must be a length of time"),
        ("[gateway]\nread_timeout = \"2h\"", 2, "read_timeout must be a length of time"),
        ("base_url = \"https://a/\" trailing", 1, "unexpected text"),
        ("key-without-value", 1, "expected '='"),
    ])
    func badSettingsNameTheLine(text: String, line: Int, message: String) {
        #expect {
            try Settings.parse(text, path: "tessera.toml")
        } throws: { error in
            guard let error = error as? Settings.Error else { return false }
            return error.line == line && error.description.hasPrefix("tessera.toml:\(line): ") && error.message.contains(message)
        }
    }
}
