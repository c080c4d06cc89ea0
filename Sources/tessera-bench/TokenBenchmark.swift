import Crypto
import Foundation
import TesseraCore
import TesseraMint

/// Tokens minted and checked per second beside raw Ed25519 signs and verifies of the same bytes.
struct TokenBenchmark {
    let rounds: Int
    let roundSeconds: Double

    func run() -> [String] {
        let key = SigningKey()
        let minter = Minter(key: key)
        let now = Timestamp.now
        let terms = InvitationTerms(project: "talk-2026", role: "viewer", label: "PyData talk, room 2")
        let sample = terms.invitation(id: Minter.newInvitationID(), issuedAt: now)
        let token = Array(minter.mint(sample).utf8)

        // The raw reference signs and verifies exactly the bytes a token's signature covers.
        let parsed = try! SignedToken(parsing: token)
        let signed = SignedToken.signingInput(message: parsed.message, footer: parsed.footer, implicitAssertion: [])
        let rawKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: key.seed)
        let rawPublic = rawKey.publicKey
        let rawSignature = try! rawKey.signature(for: signed)

        // A revocation list of 10,000 entries: 9,990 invitation ids and 10 projects.
        var entries: [RevocationList.Entry] = (0..<9_990).map { _ in .invitation(Minter.newInvitationID()) }
        entries += (0..<10).map { .project("paused-\($0)") }
        let verifier = Verifier(keyring: Keyring([key.publicKey]), revocations: RevocationList(entries))
        precondition(verifier.revocations.count == 10_000)
        precondition((try? verifier.verify(token, at: now)) != nil, "the benchmark token must verify")

        // A project admin's key, delegated by a root the verifiers trust (DESIGN §11): each token carries
        // its delegation, so checking one costs two signatures unless the delegation is cached.
        let root = SigningKey(), admin = SigningKey()
        let delegation = Delegation(name: "alice-lab", key: admin.publicKey, projects: ["talk-2026", "lab"], roles: ["viewer", "editor"],
                                    issuedAt: now, expiresAt: now.adding(seconds: 90 * 86_400), maximumExpiry: 30 * 86_400)
        let delegatedMinter = Minter(key: admin, delegation: Minter(key: root).sign(delegation))
        let delegatedToken = Array(delegatedMinter.mint(sample).utf8)
        let delegatedCached = Verifier(keyring: Keyring([root.publicKey]), revocations: RevocationList(entries))
        var delegatedUncached = delegatedCached
        delegatedUncached.delegationCache = nil
        precondition((try? delegatedCached.verify(delegatedToken, at: now)) != nil, "the delegated benchmark token must verify")
        precondition((try? delegatedUncached.verify(delegatedToken, at: now)) != nil, "the delegated benchmark token must verify")

        var rawSigns: [Double] = [], mints: [Double] = [], rawVerifies: [Double] = [], checks: [Double] = []
        var cachedChecks: [Double] = [], uncachedChecks: [Double] = []
        var sink = 0
        for _ in 0..<rounds {
            rawSigns.append(Measure.rate(seconds: roundSeconds) { sink &+= (try! rawKey.signature(for: signed)).count })
            mints.append(Measure.rate(seconds: roundSeconds) {
                sink &+= minter.mint(terms.invitation(id: Minter.newInvitationID(), issuedAt: now)).utf8.count
            })
            rawVerifies.append(Measure.rate(seconds: roundSeconds) { sink &+= rawPublic.isValidSignature(rawSignature, for: signed) ? 1 : 0 })
            checks.append(Measure.rate(seconds: roundSeconds) { sink &+= (try? verifier.verify(token, at: now)) == nil ? 0 : 1 })
            cachedChecks.append(Measure.rate(seconds: roundSeconds) { sink &+= (try? delegatedCached.verify(delegatedToken, at: now)) == nil ? 0 : 1 })
            uncachedChecks.append(Measure.rate(seconds: roundSeconds) { sink &+= (try? delegatedUncached.verify(delegatedToken, at: now)) == nil ? 0 : 1 })
        }
        let cached = Measure.median(cachedChecks), uncached = Measure.median(uncachedChecks)
        let sign = Measure.median(rawSigns), mint = Measure.median(mints)
        let verify = Measure.median(rawVerifies), check = Measure.median(checks)
        precondition(sink != 0)
        return [
            "tokens (\(token.count)-byte token, \(delegatedToken.count)-byte delegated token, \(rounds) rounds of \(roundSeconds) s each side)",
            Measure.line("raw Ed25519 signs/s (swift-crypto)", Measure.format(sign)),
            Measure.line("tokens minted/s (id, claims, PAE, sign, b64)", Measure.format(mint), String(format: "minted/raw = %.2f (target ≥ 0.85)", mint / sign)),
            Measure.line("raw Ed25519 verifies/s (swift-crypto)", Measure.format(verify)),
            Measure.line("tokens checked/s (10,000-entry revocation list)", Measure.format(check), String(format: "checked/raw = %.2f (target ≥ 0.90)", check / verify)),
            Measure.line("delegated checked/s, delegation cached", Measure.format(cached), String(format: "checked/raw = %.2f (target ≥ 0.85)", cached / verify)),
            Measure.line("delegated checked/s, uncached (2 sigs)", Measure.format(uncached), String(format: "checked/raw = %.2f (target ≥ 0.45)", uncached / verify)),
        ]
    }
}
