import FuzzSupport
import TesseraCore

// Input: the text of a token, as `tessera-verify check` and the gateway receive it.
// Reaches parsing, the footer, the keyring lookup, the signature, the claims and the
// decision; tokens from the hostile vectors carry a trusted kid and a valid signature.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let token = input(data, size)

    let parsed = try? SignedToken(parsing: token)
    if let parsed {
        // Strict base64url has one spelling per byte string, so a parsed token is its own re-encoding.
        require(parsed.signature.count == 64 && !parsed.message.isEmpty, "body split")
        require(parsed.footer.count <= SignedToken.maximumFooterLength, "footer over the limit accepted")
        require(token.count <= SignedToken.maximumLength, "token over the limit accepted")
        let rebuilt = reassemble(parsed)
        require(rebuilt == token, "parsed token does not re-serialise to its input")
    }

    let verifier = Fixtures.verifier
    let checked = Result { () throws(Denial) in try verifier.verifySignature(token) }
    let generic = Result { () throws(Denial) in try verifier.verifySignature(token[...]) }
    switch (checked, generic) {
    case (.success(let a), .success(let b)): require(a == b, "array and generic paths disagree")
    case (.failure(let a), .failure(let b)): require(a.reason == b.reason, "array and generic paths disagree")
    default: require(false, "array and generic paths disagree")
    }

    switch checked {
    case .success(let verified):
        guard let parsed else { require(false, "a token that does not parse verified"); return 0 }
        require((try? Footer.keyID(in: parsed.footer)) == verified.keyID, "verified under a key its footer does not name")
        guard let key = verifier.keyring[verified.keyID] else { require(false, "verified under an untrusted key"); return 0 }
        // The implicit assertion is empty (DESIGN §3): `aud` is an ordinary signed claim.
        require(parsed.isSigned(by: key, implicitAssertion: []), "verified without a valid signature")
        // The claims as kept re-parse to the same invitation.
        let again = try? Invitation(claimsJSON: verified.invitation.claimsJSON())
        require(again == verified.invitation, "claims do not round-trip")
        checkDecisions(token, verified)
    case .failure(let denial):
        require([.malformed, .unknownKey, .badSignature].contains(denial.reason), "signature step gave \(denial.reason)")
        if parsed == nil { require(denial.reason == .malformed, "unparsable token gave \(denial.reason)") }
        if token.count >= 24, let text = String(validating: token, as: UTF8.self) {
            require(!denial.detail.contains(text), "the detail repeats the token")
        }
    }
    return 0
}

private func reassemble(_ parsed: SignedToken) -> [UInt8] {
    var rebuilt = Array(SignedToken.header.utf8)
    Base64URL.encode(parsed.message + parsed.signature, into: &rebuilt)
    if !parsed.footer.isEmpty {
        rebuilt.append(UInt8(ascii: "."))
        Base64URL.encode(parsed.footer, into: &rebuilt)
    }
    return rebuilt
}

/// The whole decision agrees with the verified token, and a grant satisfies every rule it names.
private func checkDecisions(_ token: [UInt8], _ verified: VerifiedToken) {
    for verifier in [Fixtures.verifier, Fixtures.audienceVerifier] {
        for request in Fixtures.requests {
            let now = Fixtures.now
            do {
                let invitation = try verifier.verify(token, at: now, for: request)
                require(invitation == verified.invitation, "decision read another invitation")
                if let exp = invitation.expiresAt { require(now <= exp.adding(seconds: verifier.leeway), "granted after exp") }
                if let nbf = invitation.notBefore { require(nbf <= now.adding(seconds: verifier.leeway), "granted before nbf") }
                require(invitation.issuedAt <= now.adding(seconds: verifier.leeway), "granted before iat")
                require(verifier.revocations.entry(revoking: invitation, signedBy: verified.keyID) == nil, "granted while revoked")
                if let audience = verifier.audience { require(invitation.audience == audience, "granted to another audience") }
                if let project = request.project { require(invitation.project == project, "granted for another project") }
                if let target = invitation.subject {
                    require(request.subject == target || (request.subject == nil && !request.requiresIdentity), "granted to another subject")
                }
            } catch {
                require(![.malformed, .unknownKey, .badSignature, .usedUp, .ledgerUnavailable].contains(error.reason),
                        "a verified token was denied for \(error.reason)")
                require(error.invitation == verified.invitation, "denial carries another invitation")
            }
        }
    }
}
