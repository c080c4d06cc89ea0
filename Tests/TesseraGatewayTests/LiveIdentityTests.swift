import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway

/// Identity headers over a real loopback connection, where the TCP peer decides whether they are believed.
@Suite struct LiveIdentityTests {
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

    @Test func forwardedProtoFromATrustedProxyMakesCookiesSecure() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application().test(.live) { client in
            try await client.execute(uri: "/join?token=\(token)", method: .get, headers: headers(["X-Forwarded-Proto": "https"])) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[values: .setCookie].allSatisfy { $0.hasSuffix("; Secure") })
                #expect(response.headers[values: .setCookie].count == 2)
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
                for name in ["X-Forwarded-Uri", "X-Original-URI"] {
                    try await client.execute(uri: "/verify", method: .get, headers: headers([
                        "Authorization": "Bearer \(token)", name: uri,
                    ])) { response in
                        #expect(response.status == status, "\(name): \(uri)")
                    }
                }
            }
        }
    }
}
