import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway

/// `/join`: redemption from a link page, its cookies and redirect, and the human failure pages.
@Suite struct JoinEndpointTests {
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

    @Test func getJoinRedeemsSetsCookiesAndRedirects() async throws {
        let site = try TestSite()
        site.configuration.redirect = "https://app.example.org/projects/{project}/?from={jti}"
        let invitation = site.invitation(project: "talk-2026", uses: 10, anonymous: true)
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            let response = try await client.execute(uri: "/join?token=\(token)", method: .get)
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
            let anonymous = try #require(value(set["tessera_anon"]))
            #expect(anonymous.hasPrefix("anon-"))
            #expect(set["tessera_anon"]!.contains("; HttpOnly"))
            #expect(try await site.ledger.acceptances(ofInvitation: invitation.id).map(\.subject) == [anonymous])

            // The browser now comes back with both cookies, and the proxy's subrequest lets it in as that subject.
            try await client.execute(uri: "/verify", method: .get, headers: headers(["Cookie": "tessera=\(token); tessera_anon=\(anonymous)"])) { response in
                #expect(response.status == .ok)
                #expect(response.headers[header("X-Auth-Request-User")] == anonymous)
            }
            // Joining again from the same browser keeps the subject and consumes no use.
            let again = try await client.execute(uri: "/join?token=\(token)", method: .get, headers: headers(["Cookie": "tessera_anon=\(anonymous)"]))
            #expect(again.status == .seeOther)
            #expect(cookies(again)["tessera_anon"] == nil)
            #expect(try await site.ledger.acceptances(ofInvitation: invitation.id).count == 1)
        }
    }

    @Test func postJoinReadsTheFormField() async throws {
        let site = try TestSite()
        site.configuration.cookieSecurity = .always
        site.configuration.projectFromPath = try ProjectPathTemplate("/projects/{project}/")
        let invitation = site.invitation(project: "lab", uses: 2, anonymous: true)
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            let response = try await client.execute(uri: "/join", method: .post,
                                                    headers: [.contentType: "application/x-www-form-urlencoded"],
                                                    body: ByteBuffer(string: "label=x&token=\(token)"))
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/")
            let set = cookies(response)
            #expect(value(set["tessera"]) == token)
            #expect(set["tessera"]!.hasSuffix("; Secure"))
            // Each project's token lives under its own path, so joining a second project keeps the first.
            #expect(set["tessera"]!.contains("; Path=/projects/lab/;"))
            #expect(set["tessera_anon"]!.contains("; Path=/;"))
        }
    }

    @Test func cookieNeverOutlivesTheInvitation() async throws {
        let site = try TestSite()
        let soon = site.mint(site.invitation(anonymous: true, expiresIn: 120))
        let never = site.mint(site.invitation(anonymous: true, expiresIn: nil))
        try await site.application().test(.router) { client in
            let short = try await client.execute(uri: "/join?token=\(soon)", method: .get)
            #expect(try #require(maxAge(cookies(short)["tessera"])) <= 120)
            let long = try await client.execute(uri: "/join?token=\(never)", method: .get)
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
            ("/join?token=v4.public.garbage", 400, "malformed", "damaged"),
            ("/join?token=\(Minter(key: SigningKey()).mint(site.invitation(anonymous: true)))", 400, "unknown_key", "not signed by a key this site trusts"),
            ("/join?token=\(site.mint(expiredInvitation))", 410, "expired", "It expired on \(JoinPage.humanTime(expiredInvitation.expiresAt!))"),
            ("/join?token=\(site.mint(revoked))", 410, "revoked", "revoked"),
            ("/join?token=\(site.mint(site.invitation(subject: "<b>alice</b>@example.org")))", 403, "not_for_subject", "Sign in as &lt;b&gt;alice&lt;/b&gt;@example.org"),
            ("/join?token=\(site.mint(site.invitation()))", 403, "not_for_subject", "for signed-in people"),
            ("/join", 400, "missing_token", "needs an invitation"),
            ("/join?token=", 400, "missing_token", "needs an invitation"),
        ]
        try await site.application().test(.router) { client in
            for (uri, status, reason, text) in cases {
                try await client.execute(uri: uri, method: .get) { response in
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
            let first = try await client.execute(uri: "/join?token=\(site.mint(usedUp))", method: .get)
            #expect(first.status == .seeOther)
            try await client.execute(uri: "/join?token=\(site.mint(usedUp))", method: .get) { response in
                #expect(response.status.code == 410)
                #expect(response.headers[header("X-Tessera-Reason")] == "used_up")
                #expect(String(buffer: response.body).contains("already been used"))
            }
            try await client.execute(uri: "/join", method: .post, body: ByteBuffer(string: "nothing=here")) { response in
                #expect(response.status.code == 400)
            }
            try await client.execute(uri: "/join", method: .post, body: ByteBuffer(repeating: UInt8(ascii: "a"), count: 100_000)) { response in
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
            try await client.execute(uri: "/join?token=\(token)", method: .get) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/join?token=\(token)", method: .get) { response in
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
            try await client.execute(uri: "/join?token=\(token)", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[values: .setCookie].isEmpty)
                #expect(String(buffer: response.body).contains("nothing was granted"))
            }
        }
    }
}
