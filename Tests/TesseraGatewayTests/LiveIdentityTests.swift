import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway
import TesseraTestSupport

/// Identity headers over a real loopback connection, where the TCP peer decides whether they are believed.
@Suite(.offThePool) struct LiveIdentityTests {
    @Test func identityFromATrustedProxyRedeemsOnceAndIsPassedOn() async throws {
        let site = try TestSite()
        site.configuration.identityHeader = "X-Forwarded-User"
        let invitation = site.invitation(uses: 1)
        let token = site.mint(invitation)
        try await site.application().test(.live) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "X-Forwarded-User": "alice@example.org",
                ])) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[header("X-Auth-Request-User")] == "alice@example.org")
                }
            }
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Forwarded-User": "bob@example.org",
            ])) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[header("X-Tessera-Reason")] == "used_up")
            }
        }
        // The ledger is written once, on first use: repeated requests by the same subject add nothing.
        #expect(try await site.ledger.acceptances(ofInvitation: invitation.id).map(\.subject) == ["alice@example.org"])
    }

    @Test func targetedInvitationAdmitsOnlyItsSubject() async throws {
        let site = try TestSite()
        site.configuration.identityHeader = "Remote-User"
        let token = site.mint(site.invitation(subject: "alice@example.org"))
        try await site.application().test(.live) { client in
            for (user, status) in [("alice@example.org", HTTPResponse.Status.ok), ("mallory@example.org", .forbidden)] {
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "Remote-User": user,
                ])) { response in
                    #expect(response.status == status, "\(user)")
                }
            }
        }
    }

    @Test func identityFromAnUntrustedPeerIsIgnored() async throws {
        let site = try TestSite()
        site.configuration.identityHeader = "X-Forwarded-User"
        site.configuration.trustedProxies = [AddressRange("10.0.0.0/8")!]
        let token = site.mint(site.invitation(subject: "alice@example.org"))
        try await site.application().test(.live) { client in
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Forwarded-User": "alice@example.org",
            ])) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[header("X-Tessera-Reason")] == "not_for_subject")
            }
        }
        #expect(try await site.ledger.acceptances(project: nil).isEmpty)
    }

    /// An outside review: logins `jos\xE9` and `jos\xE8` (Latin-1, from an htpasswd, say) both reached the gateway as
    /// `jos\u{FFFD}`, so two people were one subject: the second took the first one's only use, and the app was told one
    /// name for both. The HTTP decoder has put U+FFFD in place of the bytes by the time the gateway reads the header, so a
    /// login with U+FFFD in it is refused.
    @Test func anIdentityHeaderThatIsNotUTF8IsRefused() async throws {
        let site = try TestSite()
        site.configuration.identityHeader = "X-Forwarded-User"
        let token = site.mint(site.invitation(uses: 1))
        try await site.application().test(.live) { client in
            let port = try #require(client.port)
            for latin1 in [Array("jos".utf8) + [0xE9], Array("jos".utf8) + [0xE8]] {
                let line = Array("X-Forwarded-User: ".utf8) + latin1 + Array("@example.org".utf8)
                let response = try await RawHTTP.perform(port: port, "GET", "/verify", headers: [("Authorization", "Bearer \(token)")],
                                                         rawHeaderLines: [line])
                #expect(response.status == 403)
                #expect(response.header("X-Tessera-Reason") == "not_for_subject")
            }
            // The invitation's one use is still there for a login that is UTF-8.
            let proper = try await RawHTTP.perform(port: port, "GET", "/verify", headers: [
                ("Authorization", "Bearer \(token)"), ("X-Forwarded-User", "jos\u{E9}@example.org"),
            ])
            #expect(proper.status == 200)
            #expect(proper.header("X-Auth-Request-User") == "jos\u{E9}@example.org")
        }
    }

    @Test func forwardedProtoFromATrustedProxyMakesCookiesSecure() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application().test(.live) { client in
            try await client.execute(uri: "/join", method: .post, headers: joinHeaders(["X-Forwarded-Proto": "https"]), body: joinForm(token)) { response in
                #expect(response.status == .seeOther)
                let set = response.headers[values: .setCookie]
                #expect(set.allSatisfy { $0.hasSuffix("; Secure") })
                #expect(set.count == 2)
                // Over https only prefixed names, which no plain-http page and no sibling host can set.
                #expect(set.contains { $0.hasPrefix("__Host-tessera=") && $0.contains("; Path=/;") })
                #expect(set.contains { $0.hasPrefix("__Host-tessera_anon=") })
            }
        }
    }

    @Test func forwardedURIFromATrustedProxyNamesTheProject() async throws {
        let site = try TestSite()
        site.configuration.projectFromPath = try ProjectPathTemplate("/projects/{project}/")
        let token = site.mint(site.invitation(project: "lab", anonymous: true))
        let cases: [(String, HTTPResponse.Status)] = [
            ("/projects/lab/notes?page=2", .ok),
            ("/projects/lab/../other/", .forbidden),
            ("/projects/other/", .forbidden),
            ("/elsewhere", .forbidden),
        ]
        try await site.application().test(.live) { client in
            for (uri, status) in cases {
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "X-Forwarded-Uri": uri,
                ])) { response in
                    #expect(response.status == status, "\(uri)")
                }
                // Only the operator's one header is read: another proxy's header alone names nothing.
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "X-Original-URI": uri,
                ])) { response in
                    #expect(response.status == .forbidden, "X-Original-URI: \(uri)")
                }
            }
        }
    }

    @Test func theOperatorNamesTheForwardedURIHeader() async throws {
        let site = try TestSite()
        site.configuration.projectFromPath = try ProjectPathTemplate("/projects/{project}/")
        site.configuration.forwardedURIHeader = "X-Original-URI"
        let token = site.mint(site.invitation(project: "lab", anonymous: true))
        try await site.application().test(.live) { client in
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Original-URI": "/projects/lab/",
            ])) { #expect($0.status == .ok) }
            // Two forwarded-URI headers that agree are fine; that disagree, refused.
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Original-URI": "/projects/lab/", "X-Forwarded-Uri": "/projects/lab/",
            ])) { #expect($0.status == .ok) }
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Original-URI": "/projects/lab/", "X-Forwarded-Uri": "/projects/talk/",
            ])) { #expect($0.status == .forbidden) }
            // Two copies of the one header (a proxy that appends its own after the client's): the same
            // bytes widen nothing and grant; copies equal only as Unicode (K and the Kelvin sign) are
            // refused, though each alone would grant.
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Original-URI": "/projects/lab/", "X-Original-URI": "/projects/lab/",
            ])) { #expect($0.status == .ok) }
            for alone in ["/projects/lab/K", "/projects/lab/\u{212A}"] {
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "X-Original-URI": alone,
                ])) { #expect($0.status == .ok, "\(alone)") }
            }
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Original-URI": "/projects/lab/K", "X-Original-URI": "/projects/lab/\u{212A}",
            ])) { #expect($0.status == .forbidden) }
        }
    }
}
