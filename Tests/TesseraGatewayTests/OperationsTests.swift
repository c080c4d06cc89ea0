import Logging
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
import TesseraSQLite
@testable import TesseraGateway
import TesseraTestSupport

/// `/healthz`, `/metrics` and the signature cache.
@Suite(.offThePool) struct OperationsTests {
    @Test func healthzReportsKeysListAndLedger() async throws {
        let site = try TestSite(revoked: "project:old\n")
        try await site.application().test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
            #expect(report["status"] as? String == "ok")
            #expect(report["keys"] as? Int == 1)
            #expect(report["revocation_entries"] as? Int == 1)
            #expect(report["ledger"] as? String == "ok")
        }
        try await site.application(ledger: UnavailableLedger()).test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(String(buffer: response.body).contains("\"status\":\"unavailable\""))
        }
    }

    @Test func metricsCountDecisionsByReasonWithLatencyAndCacheHits() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application().test(.router) { client in
            for _ in 0..<3 { _ = try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) }
            _ = try await client.execute(uri: "/verify", method: .get)
            _ = try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer v4.public.x"])
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            for line in [
                "tessera_decisions_total{reason=\"granted\"} 3",
                "tessera_decisions_total{reason=\"missing_token\"} 1",
                "tessera_decisions_total{reason=\"malformed\"} 1",
                "tessera_decisions_total{reason=\"revoked\"} 0",
                "tessera_decision_duration_seconds_count 5",
                "tessera_decision_duration_seconds_bucket{le=\"+Inf\"} 5",
                "tessera_signature_cache_hits_total 2",
                "tessera_signature_cache_entries 1.0",
                "# TYPE tessera_decision_duration_seconds histogram",
            ] {
                #expect(text.contains(line + "\n"), "missing: \(line)")
            }
            #expect(!text.contains(token), "metrics never show a token")
        }
    }

    /// Every family README's `/metrics` row names, with its type: dashboards and alerts are written against these.
    static let documentedFamilies: [String: String] = [
        "tessera_decisions_total": "counter",
        "tessera_decision_duration_seconds": "histogram",
        "tessera_signature_cache_hits_total": "counter",
        "tessera_signature_cache_misses_total": "counter",
        "tessera_signature_cache_entries": "gauge",
        "tessera_signature_cache_capacity": "gauge",
        "tessera_joins_total": "counter",
        "tessera_new_members_total": "counter",
        "tessera_reloads_total": "counter",
        "tessera_reload_problems": "gauge",
        "tessera_last_reload_timestamp_seconds": "gauge",
        "tessera_trusted_keys": "gauge",
        "tessera_revocation_entries": "gauge",
        "tessera_join_events_undelivered": "gauge",
        "tessera_join_events_delivered_total": "counter",
        "tessera_join_event_failures_total": "counter",
    ]
    /// The families a gateway shows only with `--on-join`.
    static let onJoinFamilies: Set = ["tessera_join_events_undelivered", "tessera_join_events_delivered_total", "tessera_join_event_failures_total"]

    /// The metric names in README's `/metrics` row.
    static func namesInReadme() throws -> Set<String> {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let row = try #require(try String(contentsOf: readme, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("| `GET /metrics` |") })
        return Set(row.matches(of: /tessera_[a-z_]+/).map { String($0.output) })
    }

    @Test func metricsServeEveryDocumentedFamilyWithItsTypeAndHelp() async throws {
        #expect(try Self.namesInReadme() == Set(Self.documentedFamilies.keys), "README's /metrics row and this list differ")
        let site = try TestSite()
        site.configuration.onJoin = OnJoinTarget(url: "http://127.0.0.1:9/hook", secret: Array("a shared secret".utf8))
        var quiet = Logger(label: "tessera.gateway.test")
        quiet.logLevel = .critical
        let application = try buildApplication(site.configuration, ledger: try SQLiteLedger(path: site.path + "/ledger.sqlite"), logger: quiet,
                                               poster: { _, _, _ in .success(200) })
        try await application.test(.live) { client in
            func scrape() async throws -> String { String(buffer: try await client.execute(uri: "/metrics", method: .get).body) }
            // Before anything happened: every decision outcome and both reload results are there, at zero.
            let fresh = try await scrape()
            for outcome in GatewayMetrics.decisionOutcomes {
                #expect(fresh.contains("tessera_decisions_total{reason=\"\(outcome)\"} 0\n"), "missing: \(outcome)")
            }
            #expect(fresh.contains("tessera_reloads_total{result=\"ok\"} 0\n") && fresh.contains("tessera_reloads_total{result=\"error\"} 0\n"))
            for bound in GatewayMetrics.latencyBuckets {
                #expect(fresh.contains("tessera_decision_duration_seconds_bucket{le=\"\(bound)\"} 0\n"), "missing bucket: \(bound)")
            }
            // A /join answer makes its family; the --on-join family appears once the notifier first reported.
            _ = try await client.execute(uri: "/join", method: .get)
            let reported = try await waitUntil(patience) { try await scrape().contains("# TYPE tessera_join_events_undelivered gauge\n") }
            #expect(reported != nil, "the --on-join family never appeared")
            let text = try await scrape()
            let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            for (name, type) in Self.documentedFamilies {
                #expect(text.contains("# TYPE \(name) \(type)\n"), "missing: # TYPE \(name) \(type)")
                #expect(text.contains("# HELP \(name) "), "missing: # HELP \(name)")
                let series = type == "histogram" ? ["_bucket{", "_sum ", "_count "].map { name + $0 } : [name + " ", name + "{"]
                #expect(samples.contains { line in series.contains { line.hasPrefix($0) } }, "no sample of \(name)")
            }
            #expect(text.contains("tessera_joins_total{reason=\"confirm_page\"} 1\n"))
            #expect(metric("tessera_join_events_undelivered", in: text) == 0)
        }
        // Without --on-join its family is not shown at all.
        site.configuration.onJoin = nil
        try await site.application().test(.router) { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            for name in Self.onJoinFamilies { #expect(!text.contains(name), "shown without --on-join: \(name)") }
        }
    }

    @Test func twoGatewaysInOneProcessKeepTheirOwnCounts() async throws {
        let first = try TestSite(), second = try TestSite()
        let token = first.mint(first.invitation(anonymous: true))
        try await first.application().test(.router) { one in
            try await second.application().test(.router) { other in
                for _ in 0..<2 { _ = try await one.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) }
                _ = try await other.execute(uri: "/verify", method: .get)
                let mine = String(buffer: try await one.execute(uri: "/metrics", method: .get).body)
                let theirs = String(buffer: try await other.execute(uri: "/metrics", method: .get).body)
                #expect(mine.contains("tessera_decisions_total{reason=\"granted\"} 2\n"))
                #expect(mine.contains("tessera_decisions_total{reason=\"missing_token\"} 0\n"))
                #expect(metric("tessera_decision_duration_seconds_count", in: mine) == 2)
                #expect(theirs.contains("tessera_decisions_total{reason=\"granted\"} 0\n"))
                #expect(theirs.contains("tessera_decisions_total{reason=\"missing_token\"} 1\n"))
                #expect(metric("tessera_decision_duration_seconds_count", in: theirs) == 1)
            }
        }
    }

    @Test func everyOutcomeHasItsCounter() {
        var decisions: [Decision] = [.missingToken, .granted(subject: "s", invitation: Invitation(id: "i", project: "p", role: "r", issuedAt: .now, expiresAt: nil))]
        decisions += Reason.allCases.map { .denied(Denial($0, "")) }
        for decision in decisions {
            #expect(GatewayMetrics.decisionOutcomes[decision.outcomeIndex] == decision.label)
        }
    }

    @Test func signatureCacheIsBounded() async throws {
        let site = try TestSite()
        site.configuration.signatureCacheSize = 3
        let tokens = (0..<10).map { _ in site.mint(site.invitation(anonymous: true)) }
        try await site.application().test(.router) { client in
            for token in tokens + tokens {
                try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) { #expect($0.status == .ok) }
            }
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains("tessera_signature_cache_entries 3.0\n"))
            #expect(text.contains("tessera_signature_cache_capacity 3.0\n"))
        }
    }

    @Test func cacheEvictsOldestAndRespectsKeyringGeneration() throws {
        let site = try TestSite()
        let cache = SignatureCache(capacity: 2)
        let verifier = Verifier(keyring: Keyring([site.key.publicKey]))
        let tokens = (0..<3).map { _ in Array(site.mint(site.invitation()).utf8) }
        let verified = try tokens.map { try verifier.verifySignature($0) }
        for (token, value) in zip(tokens, verified) { cache.insert(value, for: SignatureCache.key(for: token), keyringGeneration: 0) }
        #expect(cache.count == 2)
        #expect(cache.value(for: SignatureCache.key(for: tokens[0]), keyringGeneration: 0) == nil)
        #expect(cache.value(for: SignatureCache.key(for: tokens[2]), keyringGeneration: 0) == verified[2])
        #expect(cache.value(for: SignatureCache.key(for: tokens[2]), keyringGeneration: 1) == nil)
        cache.removeAll()
        #expect(cache.count == 0)
        let disabled = SignatureCache(capacity: 0)
        disabled.insert(verified[0], for: SignatureCache.key(for: tokens[0]), keyringGeneration: 0)
        #expect(disabled.count == 0)
    }
}

/// What the gateway writes to its log.
@Suite(.offThePool) struct LoggingTests {
    @Test func logsCarryTheInvitationIdAndReasonButNeverTheToken() async throws {
        let site = try TestSite()
        site.configuration.identityHeader = "X-Forwarded-User"
        let lines = RecordingLogHandler.Lines()
        let logger = Logger(label: "tessera.gateway.test") { _ in RecordingLogHandler(lines: lines) }
        let granted = site.invitation(uses: 3, anonymous: true)
        let expired = site.invitation(anonymous: true, expiresIn: -3600, issuedAgo: 7200)
        let tokens = [site.mint(granted), site.mint(expired)]
        try await site.application(logger: logger).test(.router) { client in
            for token in tokens {
                _ = try await client.execute(uri: "/verify/a?token=\(token)", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "Cookie": "tessera_anon=\(AnonymousMember.newSecret())", "X-Forwarded-Uri": "/a?access_token=\(token)",
                ]))
                _ = try await client.execute(uri: "/join?token=\(token)", method: .get)  // the confirmation page, which repeats the token only in its form
                _ = try await client.execute(uri: "/join", method: .post, headers: joinHeaders(), body: joinForm(token))
            }
            _ = try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(tokens[0])garbage"])
        }
        let all = lines.all
        #expect(all.contains { $0.contains("invitation.id=\(granted.id)") && $0.contains("decision.reason=granted") })
        #expect(all.contains { $0.contains("invitation.id=\(expired.id)") && $0.contains("decision.reason=expired") })
        #expect(all.contains { $0.contains("joined") && $0.contains("invitation.id=\(granted.id)") })
        for line in all {
            #expect(!line.contains("v4.public."), "a log line shows a token: \(line)")
            #expect(!line.contains(String(tokens[0].dropFirst(10).prefix(40))), "a log line shows part of a token: \(line)")
        }
    }

    @Test func aLedgerOutageIsLoggedOnceASecondNotOncePerRequest() async throws {
        let site = try TestSite()
        let lines = RecordingLogHandler.Lines()
        let logger = Logger(label: "tessera.gateway.test") { _ in RecordingLogHandler(lines: lines) }
        let token = site.mint(site.invitation(anonymous: true))
        let started = ContinuousClock.now
        try await site.application(ledger: UnavailableLedger(), logger: logger).test(.router) { client in
            for _ in 0..<50 {
                _ = try await client.execute(uri: "/verify", method: .get, headers: headers([
                    "Authorization": "Bearer \(token)", "Cookie": "tessera_anon=\(AnonymousMember.newSecret())",
                ]))
            }
        }
        // One line per second at most (normally the 50 requests take a few milliseconds: one line).
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        #expect((1...(seconds + 1)).contains(lines.all.filter { $0.contains("cannot decide") }.count))
    }
}
