import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway
import TesseraTestSupport

/// `/join`: redemption from a link page, its cookies and redirect, and the human failure pages.
@Suite(.offThePool) struct JoinEndpointTests {
    /// The `Set-Cookie` lines of a response, by cookie name.
    func cookies(_ response: TestResponse) -> [String: String] {
        var result: [String: String] = [:]
        for line in response.headers[values: .setCookie] {
            let name = String(line.prefix { $0 != "=" })
            result[name] = line
        }
        return result
    }

    /// The value of a `Set-Cookie` line.
    func value(_ line: String?) -> String? {
        line.map { String($0.drop { $0 != "=" }.dropFirst().prefix { $0 != ";" }) }
    }

    /// The Max-Age attribute of a `Set-Cookie` line.
    func maxAge(_ line: String?) -> Int64? {
        guard let line, let range = line.range(of: "Max-Age=") else { return nil }
        return Int64(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func postJoinRedeemsSetsCookiesAndRedirects() async throws {
        let site = try TestSite()
        site.configuration.redirect = "https://app.example.org/projects/{project}/?from={jti}"
        let invitation = site.invitation(project: "talk-2026", uses: 10, anonymous: true)
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            let response = try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(token))
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "https://app.example.org/projects/talk-2026/?from=\(invitation.id)")
            #expect(response.headers[.cacheControl] == "no-store")
            let set = cookies(response)
            let tokenCookie = try #require(set["tessera"])
            #expect(value(tokenCookie) == token)
            #expect(tokenCookie.contains("; HttpOnly"))
            #expect(tokenCookie.contains("; SameSite=Lax"))
            #expect(tokenCookie.contains("; Path=/;"))
            #expect(!tokenCookie.contains("Secure"))
            let age = try #require(maxAge(tokenCookie))
            #expect(age > 3500 && age <= 3600)
            // The cookie holds a secret; the subject is derived from it and never appears in a cookie.
            let secret = try #require(value(set["tessera_anon"]))
            #expect(AnonymousMember.isValidSecret(secret) && secret.utf8.count == 43, "32 random bytes")
            #expect(set["tessera_anon"]!.contains("; HttpOnly"))
            let anonymous = try #require(AnonymousMember.subject(forSecret: secret))
            #expect(anonymous.hasPrefix("anon-") && anonymous.utf8.count == 27)
            #expect(try await site.ledger.acceptances(ofInvitation: invitation.id).map(\.subject) == [anonymous])

            // The browser now comes back with both cookies, and the proxy's subrequest lets it in as that subject.
            try await client.execute(uri: "/verify", method: .get, headers: headers(["Cookie": "tessera=\(token); tessera_anon=\(secret)"])) { response in
                #expect(response.status == .ok)
                #expect(response.headers[header("X-Auth-Request-User")] == anonymous)
            }
            // Joining again from the same browser keeps the subject and consumes no use.
            let again = try await client.execute(uri: "/join", method: .post, headers: joinHeaders(["Cookie": "tessera_anon=\(secret)"]), body: joinForm(token))
            #expect(again.status == .seeOther)
            #expect(cookies(again)["tessera_anon"] == nil)
            #expect(try await site.ledger.acceptances(ofInvitation: invitation.id).count == 1)
        }
    }

    /// F10: the confirmation page posts to `/join` with no query (the token is in the body, never in a request line)
    /// and says which project and role are being joined.
    @Test func confirmationPagePostsToJoinWithoutTheTokenInTheURL() async throws {
        let site = try TestSite()
        let invitation = site.invitation(project: "talk-2026", uses: 10, anonymous: true)
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            let response = try await client.execute(uri: "/join?token=\(token)", method: .get)
            #expect(response.status == .ok)
            let body = String(buffer: response.body)
            #expect(body.contains("<form method=\"post\" action=\"/join\">"))
            #expect(!body.contains("action=\"\""))
            #expect(body.contains("<input type=\"hidden\" name=\"token\" value=\"\(token)\">"))
            #expect(body.contains("<strong>talk-2026</strong>"))
            #expect(body.contains("<strong>\(invitation.role)</strong>"))
            let forged = try await client.execute(uri: "/join?token=\(token.dropLast(3))xyz", method: .get)
            #expect(!String(buffer: forged.body).contains("<strong>"), "a token whose signature fails names nothing")
        }
    }

    @Test func postJoinReadsTheFormField() async throws {
        let site = try TestSite()
        site.configuration.cookieSecurity = .always
        site.configuration.projectFromPath = try ProjectPathTemplate("/projects/{project}/")
        let invitation = site.invitation(project: "lab", uses: 2, anonymous: true)
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            let response = try await client.execute(uri: "/join", method: .post, headers: joinHeaders(),
                                                    body: ByteBuffer(string: "label=x&token=\(token)"))
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/")
            let set = cookies(response)
            // Secure cookies carry the prefixes only a secure page can set: __Secure- for a project path, __Host- at /.
            let tokenCookie = try #require(set["__Secure-tessera"])
            #expect(value(tokenCookie) == token)
            #expect(tokenCookie.hasSuffix("; Secure"))
            // Each project's token lives under its own path, so joining a second project keeps the first.
            #expect(tokenCookie.contains("; Path=/projects/lab/;"))
            #expect(try #require(set["__Host-tessera_anon"]).contains("; Path=/;"))
            #expect(set["tessera"] == nil && set["tessera_anon"] == nil)
        }
    }

    /// F8: a sibling host can plant a `__Secure-tessera` cookie (`Domain=`); two differing ones in one request are refused.
    @Test func twoDifferingSecureTokenCookiesAreRefused() async throws {
        let site = try TestSite()
        site.configuration.cookieSecurity = .always
        let mine = site.mint(site.invitation(project: "lab", anonymous: true))
        let planted = site.mint(site.invitation(project: "lab", anonymous: true))
        try await site.application().test(.router) { client in
            let one = try await client.execute(uri: "/verify", method: .get, headers: [.cookie: "__Secure-tessera=\(mine)"])
            #expect(one.status == .ok)
            let same = try await client.execute(uri: "/verify", method: .get, headers: [.cookie: "__Secure-tessera=\(mine); __Secure-tessera=\(mine)"])
            #expect(same.status == .ok)
            let two = try await client.execute(uri: "/verify", method: .get, headers: [.cookie: "__Secure-tessera=\(planted); __Secure-tessera=\(mine)"])
            #expect(two.status == .unauthorized)
        }
    }

    @Test func cookieNeverOutlivesTheInvitation() async throws {
        let site = try TestSite()
        let soon = site.mint(site.invitation(anonymous: true, expiresIn: 120))
        let never = site.mint(site.invitation(anonymous: true, expiresIn: nil))
        try await site.application().test(.router) { client in
            let short = try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(soon))
            #expect(try #require(maxAge(cookies(short)["tessera"])) <= 120)
            let long = try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(never))
            let age = try #require(maxAge(cookies(long)["tessera"]))
            #expect(age == Int64(400 * 24 * 3600), "browsers cap cookies at 400 days")
        }
    }

    @Test func failuresAreSmallPagesWithTheReason() async throws {
        let site = try TestSite()
        let expiredInvitation = site.invitation(anonymous: true, expiresIn: -3600, issuedAgo: 7200)
        let revoked = site.invitation(anonymous: true)
        try site.write("revoked.txt", revoked.id + "\n")
        let usedUp = site.invitation(uses: 1, anonymous: true)
        let cases: [(String, Int, String, String)] = [
            ("token=v4.public.garbage", 400, "malformed", "damaged"),
            ("token=\(Minter(key: SigningKey()).mint(site.invitation(anonymous: true)))", 400, "unknown_key", "not signed by a key this site trusts"),
            ("token=\(site.mint(expiredInvitation))", 410, "expired", "It expired on \(JoinPage.humanTime(expiredInvitation.expiresAt!))"),
            ("token=\(site.mint(revoked))", 410, "revoked", "revoked"),
            ("token=\(site.mint(site.invitation(subject: "<b>alice</b>@example.org")))", 403, "not_for_subject", "Sign in as &lt;b&gt;alice&lt;/b&gt;@example.org"),
            ("token=\(site.mint(site.invitation()))", 403, "not_for_subject", "for signed-in people"),
            ("", 400, "missing_token", "needs an invitation"),
            ("token=", 400, "missing_token", "needs an invitation"),
        ]
        try await site.application().test(.router) { client in
            for (form, status, reason, text) in cases {
                try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: ByteBuffer(string: form)) { response in
                    #expect(response.status.code == status, "\(reason)")
                    #expect(response.headers[header("X-Tessera-Reason")] == reason)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.headers[.cacheControl] == "no-store")
                    #expect(response.headers[header("Content-Security-Policy")]?.hasPrefix("default-src 'none'") == true)
                    #expect(response.headers[values: .setCookie].isEmpty)
                    let html = String(buffer: response.body)
                    #expect(html.contains(text), "\(reason): \(html)")
                    #expect(!html.contains("<b>alice"))
                    #expect(!html.contains("v4.public."), "a page never repeats the token")
                    #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
                }
            }
            let first = try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(site.mint(usedUp)))
            #expect(first.status == .seeOther)
            try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(site.mint(usedUp))) { response in
                #expect(response.status.code == 410)
                #expect(response.headers[header("X-Tessera-Reason")] == "used_up")
                #expect(String(buffer: response.body).contains("already been used"))
            }
            try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: ByteBuffer(string: "nothing=here")) { response in
                #expect(response.status.code == 400)
            }
            try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: ByteBuffer(repeating: UInt8(ascii: "a"), count: 100_000)) { response in
                #expect(response.status.code == 413)
                #expect(response.headers[header("X-Tessera-Reason")] == "too_large")
                #expect(String(buffer: response.body).contains("This request is too large"))
            }
        }
    }

    @Test func signupThroughJoinHappensOnce() async throws {
        let site = try TestSite()
        let invitation = site.invitation(uid: "u-1042")
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(token)) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(token)) { response in
                #expect(response.status.code == 410)
                #expect(String(buffer: response.body).contains("Sign in as u-1042"))
            }
        }
        #expect(try await site.ledger.acceptances(ofInvitation: invitation.id).map(\.subject) == ["u-1042"])
    }

    @Test func ledgerDownIsAPageToo() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application(ledger: UnavailableLedger()).test(.router) { client in
            try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(token)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[values: .setCookie].isEmpty)
                #expect(String(buffer: response.body).contains("nothing was granted"))
            }
        }
    }
}
