import Hummingbird
import TesseraCore

/// `GET /healthz` and `GET /metrics`: what an operator or a monitor asks.
struct HealthEndpoint: Sendable {
    let gatekeeper: Gatekeeper

    /// 200 with a JSON report while the gateway can decide, even when an edit was refused (`"status":"degraded"`, the problem with file and line);
    /// 503 when the ledger cannot be reached, since then nothing that needs it can be granted.
    @Sendable func health(_ request: Request, context: GatewayContext) async -> Response {
        let store = gatekeeper.store
        let snapshot = store.snapshot
        let problems = store.problems
        var ledgerStatus = "ok"
        do {
            _ = try await gatekeeper.ledger.acceptances(ofInvitation: "")
        } catch {
            if let why = error.failure { ledgerStatus = "unavailable: \(why)" }
        }
        let expired = snapshot.revocationsExpired(at: .now)
        let status = ledgerStatus != "ok" || expired ? "unavailable" : problems.isEmpty ? "ok" : "degraded"
        var listStatus = "ok"
        if expired, let exp = snapshot.revocationsExpireAt { listStatus = "expired at \(exp.rfc3339): every decision is 503 until a fresh list is loaded" }
        let report = JSONValue.object([
            ("revocation_list", .string(listStatus)),
            ("status", .string(status)),
            ("keys", .number(String(snapshot.verifier.keyring.keys.count))),
            ("revocation_entries", .number(String(snapshot.verifier.revocations.count))),
            ("last_reload", .string(store.lastChange.rfc3339)),
            ("ledger", .string(ledgerStatus)),
            ("problems", .array(problems.map { problem in
                var members: [(key: String, value: JSONValue)] = [("file", .string(problem.file))]
                if let line = problem.line { members.append(("line", .number(String(line)))) }
                members.append(("message", .string(problem.message)))
                members.append(("text", .string(problem.description)))
                return .object(members)
            })),
        ])
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        var body = report.serialized()
        body.append(UInt8(ascii: "\n"))
        return Response(status: ledgerStatus == "ok" && !expired ? .ok : .serviceUnavailable, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Prometheus text format, version 0.0.4.
    @Sendable func metrics(_ request: Request, context: GatewayContext) -> Response {
        let snapshot = gatekeeper.store.snapshot
        let text = gatekeeper.metrics.render(
            cacheEntries: gatekeeper.cache.count, cacheCapacity: gatekeeper.cache.capacity,
            keys: snapshot.verifier.keyring.keys.count, revocationEntries: snapshot.verifier.revocations.count,
            problems: gatekeeper.store.problems.count, lastReload: gatekeeper.store.lastChange)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }
}
