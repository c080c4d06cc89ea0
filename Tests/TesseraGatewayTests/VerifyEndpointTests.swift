import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway
import TesseraTestSupport

/// `/verify` driven in-process: every status the proxies rely on, and every header.
@Suite(.offThePool) struct VerifyEndpointTests {
    @Test func grantedAnswerIsAnEmpty200WithTheIdentityHeaders() async throws {
        let site = try TestSite()
        let invitation = site.invitation(role: "editor", anonymous: true)
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[header("X-Auth-Request-User")] == "anonymous")
                #expect(response.headers[header("X-Tessera-Project")] == "lab")
                #expect(response.headers[header("X-Tessera-Role")] == "editor")
                #expect(response.headers[header("X-Tessera-Invitation")] == invitation.id)
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
        // An unlimited anonymous invitation used without joining leaves no trace in the ledger.
        #expect(try await site.ledger.acceptances(project: nil).isEmpty)
    }

    @Test func missingTokenIs401WithABareChallenge() async throws {
        let site = try TestSite()
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"tessera\"")
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test(arguments: ["malformed", "foreign", "tampered", "expired", "not_yet_valid"])
    func badTokensAre401WithInvalidToken(_ kind: String) async throws {
        let site = try TestSite()
        let token: String
        switch kind {
        case "malformed": token = "v4.public.not-a-token"
        case "foreign": token = Minter(key: SigningKey()).mint(site.invitation(anonymous: true))
        case "tampered":
            var bytes = Array(site.mint(site.invitation(anonymous: true)).utf8)
            bytes[20] = bytes[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            token = String(decoding: bytes, as: UTF8.self)
        case "expired": token = site.mint(site.invitation(anonymous: true, expiresIn: -3600, issuedAgo: 7200))
        default: token = site.mint(site.invitation(anonymous: true, issuedAgo: -7200))
        }
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .unauthorized, "\(kind)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"tessera\", error=\"invalid_token\"")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[header("X-Auth-Request-User")] == nil)
            }
        }
    }

    @Test func revokedIs403() async throws {
        let site = try TestSite()
        let invitation = site.invitation(anonymous: true)
        try site.write("revoked.txt", "\(invitation.id)  # leaked on a slide\n")
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(site.mint(invitation))"]) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[header("X-Tessera-Reason")] == "revoked")
                #expect(response.headers[.wwwAuthenticate] == nil)
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func usedUpIs403AndTheSameSubjectAgainConsumesNothing() async throws {
        let site = try TestSite()
        let invitation = site.invitation(uses: 1, anonymous: true)
        let token = site.mint(invitation)
        let first = AnonymousMember.newSecret(), second = AnonymousMember.newSecret()
        let firstSubject = try #require(AnonymousMember.subject(forSecret: first))
        try await site.application().test(.router) { client in
            for (secret, status) in [(first, HTTPResponse.Status.ok), (first, .ok), (second, .forbidden)] {
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "Cookie": "tessera_anon=\(secret)",
                ])) { response in
                    #expect(response.status == status)
                    if status == .ok { #expect(response.headers[header("X-Auth-Request-User")] == firstSubject) }
                    if status == .forbidden { #expect(response.headers[header("X-Tessera-Reason")] == "used_up") }
                }
            }
        }
        #expect(try await site.ledger.acceptances(ofInvitation: invitation.id).map(\.subject) == [firstSubject])
    }

    @Test func limitedAnonymousInvitationNeedsJoiningFirst() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(uses: 5, anonymous: true))
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[header("X-Tessera-Reason")] == "not_for_subject")
                #expect(String(buffer: response.body).contains("join through its link first"))
            }
        }
    }

    @Test func targetedInvitationWithoutIdentityIs403() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(subject: "alice@example.org"))
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[header("X-Tessera-Reason")] == "not_for_subject")
                #expect(String(buffer: response.body).contains("sign in as alice@example.org"))
            }
        }
    }

    @Test func wrongProjectIs403() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(project: "lab", anonymous: true))
        try await site.application().test(.router) { client in
            for (project, status) in [("lab", HTTPResponse.Status.ok), ("other", .forbidden), ("../lab", .forbidden)] {
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "X-Tessera-Project": project,
                ])) { response in
                    #expect(response.status == status, "\(project)")
                    if status == .forbidden { #expect(response.headers[header("X-Tessera-Reason")] == "not_for_project") }
                }
            }
        }
    }

    @Test func projectFromPathUsesTheNormalizedOriginalURI() async throws {
        let site = try TestSite()
        site.configuration.projectFromPath = try ProjectPathTemplate("/projects/{project}/")
        let token = site.mint(site.invitation(project: "lab", anonymous: true))
        // In-process requests have no trusted peer, so the URI is the gateway's own path minus /verify (Envoy's form).
        let cases: [(String, HTTPResponse.Status)] = [
            ("/verify/projects/lab/notes", .ok),
            ("/verify/projects/lab", .ok),
            ("/verify/projects/other/notes", .forbidden),
            ("/verify/projects/lab/../other/", .forbidden),
            ("/verify/projects/other/../lab/", .forbidden),   // not canonical: refused whatever it resolves to
            ("/verify/projects/", .forbidden),
            ("/verify", .forbidden),
        ]
        try await site.application().test(.router) { client in
            for (uri, status) in cases {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == status, "\(uri)")
                }
            }
            // Forwarded-URI headers from an untrusted peer are not believed.
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Forwarded-Uri": "/projects/lab/",
            ])) { response in
                #expect(response.status == .forbidden)
            }
        }
    }

    @Test func ledgerDownIs503() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application(ledger: UnavailableLedger()).test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "Cookie": "tessera_anon=\(AnonymousMember.newSecret())",
            ])) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[header("X-Tessera-Reason")] == "ledger_unavailable")
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func everyMethodAndSubpathIsTheDecisionNever405() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, HTTPRequest.Method("PROPFIND")!]
        try await site.application().test(.router) { client in
            for method in methods {
                for uri in ["/verify", "/verify/", "/verify/x", "/verify/projects/lab/a?b=c"] {
                    try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(token)"],
                                             body: method == .post || method == .put ? ByteBuffer(string: "ignored") : nil) { response in
                        #expect(response.status == .ok, "\(method) \(uri)")
                        #expect(response.headers[.cacheControl] == "no-store")
                    }
                    try await client.execute(uri: uri, method: method) { response in
                        #expect(response.status == .unauthorized, "\(method) \(uri)")
                    }
                }
            }
        }
    }

    @Test func bearerBeatsCookie() async throws {
        let site = try TestSite()
        let valid = site.mint(site.invitation(anonymous: true))
        let expired = site.mint(site.invitation(anonymous: true, expiresIn: -3600, issuedAgo: 7200))
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(expired)", "Cookie": "tessera=\(valid)",
            ])) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(valid)", "Cookie": "tessera=\(expired)",
            ])) { response in
                #expect(response.status == .ok)
            }
            // Without a bearer token the cookie is used; a non-Bearer Authorization is not a token.
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Basic YWxpY2U6c2VjcmV0", "Cookie": "other=1; tessera=\(valid); x=y",
            ])) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func cookiesForSeveralProjectsAreTriedInTurn() async throws {
        let site = try TestSite()
        let lab = site.mint(site.invitation(project: "lab", anonymous: true))
        let talk = site.mint(site.invitation(project: "talk", anonymous: true))
        try await site.application().test(.router) { client in
            for (project, status) in [("talk", HTTPResponse.Status.ok), ("lab", .ok), ("other", .forbidden)] {
                try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Cookie": "tessera=\(lab); tessera=\(talk)", "X-Tessera-Project": project,
                ])) { response in
                    #expect(response.status == status, "\(project)")
                    if status == .ok { #expect(response.headers[header("X-Tessera-Project")] == project) }
                }
            }
        }
    }

    @Test func queryTokensAreIgnored() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application().test(.router) { client in
            for query in ["token", "access_token", "tessera"] {
                try await client.execute(uri: "/verify?\(query)=\(token)", method: .get) { response in
                    #expect(response.status == .unauthorized, "\(query)")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"tessera\"")
                }
            }
        }
    }

    @Test func identityFromAnUntrustedPeerIsIgnored() async throws {
        let site = try TestSite()
        site.configuration.identityHeader = "X-Forwarded-User"
        let token = site.mint(site.invitation(subject: "alice@example.org"))
        // In-process requests have no peer address, which is never trusted.
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Forwarded-User": "alice@example.org",
            ])) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[header("X-Tessera-Reason")] == "not_for_subject")
            }
        }
        #expect(try await site.ledger.acceptances(project: nil).isEmpty)
    }

    @Test func clientSentAuthRequestHeadersAreIgnored() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: headers([
                "Authorization": "Bearer \(token)", "X-Auth-Request-User": "mallory", "X-Tessera-Role": "admin",
            ])) { response in
                #expect(response.status == .ok)
                #expect(response.headers[header("X-Auth-Request-User")] == "anonymous")
                #expect(response.headers[header("X-Tessera-Role")] == "viewer")
            }
            try await client.execute(uri: "/verify", method: .get, headers: headers(["X-Auth-Request-User": "mallory"])) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func audienceIsEnforced() async throws {
        let site = try TestSite()
        site.configuration.audience = "https://gw.example.org"
        let right = site.mint(site.invitation(anonymous: true, audience: "https://gw.example.org"))
        let wrong = site.mint(site.invitation(anonymous: true, audience: "https://elsewhere.example.org"))
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(right)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(wrong)"]) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[header("X-Tessera-Reason")] == "not_for_audience")
            }
        }
    }

    @Test func otherPathsStillSayNoStore() async throws {
        let site = try TestSite()
        try await site.application().test(.router) { client in
            for (uri, method) in [("/healthz", HTTPRequest.Method.get), ("/metrics", .get), ("/join", .get), ("/nothing", .get), ("/healthz", .post)] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.headers[.cacheControl] == "no-store", "\(method) \(uri)")
                }
            }
        }
    }
}
