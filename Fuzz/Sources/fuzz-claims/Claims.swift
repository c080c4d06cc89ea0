import FuzzSupport
import TesseraCore
import TesseraMint

// Input: the claims JSON, optionally followed by a zero byte and the footer. The token is
// signed here with a trusted key (empty implicit assertion, as the minter does), so every
// input reaches the claims parser and the decision past the signature.
// Without a zero byte the footer is the signing key's `{"kid":…}`; after one, the footer is
// the rest of the input (none if empty).
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (payload, customFooter) = splitAtZero(input(data, size))
    guard !payload.isEmpty else { return 0 }  // a token always has a message
    let key = Fixtures.signingKey
    let footer = customFooter ?? Footer.encode(keyID: key.publicKey.id)
    let token = Fixtures.token(message: payload, footer: footer, key: key)

    let verifier = Fixtures.verifier
    let outcome = Result { () throws(Denial) in try verifier.verifySignature(token) }
    let claims = Result { () throws(Invitation.ClaimError) in try Invitation(claimsJSON: payload) }

    // What the verifier must answer, worked out from the parts.
    let footerKey = Result { () throws(Footer.Error) in try Footer.keyID(in: footer) }
    if token.count > SignedToken.maximumLength || footer.count > Footer.maximumDelegatedLength {
        expect(outcome, .malformed, "oversized token or footer")
    } else if footer.count > SignedToken.maximumFooterLength {
        // Allowed only to a footer that carries a delegation, which is then checked: refused here either way
        // (this target's tokens are signed by a root key, whose footer names it alone).
        if case .success(let verified) = outcome { require(false, "oversized footer: accepted \(verified.invitation.id)") }
    } else if case .failure = footerKey {
        expect(outcome, .malformed, "bad footer")
    } else if case .success(let id) = footerKey, id != key.publicKey.id {
        if (try? Footer.parse(footer))?.delegation != nil {
            // Checked through its delegation (DESIGN §11): refused, for whichever of its reasons.
            if case .success(let verified) = outcome { require(false, "footer naming another key with a delegation: accepted \(verified.invitation.id)") }
        } else {
            // The audience is an ordinary claim now: nothing is parsed before the signature is checked.
            expect(outcome, verifier.keyring[id] == nil ? .unknownKey : .badSignature, "footer naming another key")
        }
    } else if case .failure(let error) = claims {
        expect(outcome, .malformed, "claims refused by Invitation(claimsJSON:): \(error)")
    } else if case .success(let invitation) = claims {
        guard case .success(let verified) = outcome else {
            require(false, "valid claims signed by a trusted key were denied: \(outcome)")
            return 0
        }
        require(verified.invitation == invitation, "the verifier read other claims than Invitation(claimsJSON:)")
        require(verified.keyID == key.publicKey.id, "wrong key id")
        checkInvitation(invitation)
        for request in Fixtures.requests {
            _ = try? verifier.verify(token, at: Fixtures.now, for: request)
            _ = try? Fixtures.audienceVerifier.verify(token, at: Fixtures.now, for: request)
        }
    }
    return 0
}

private func expect(_ outcome: Result<VerifiedToken, Denial>, _ reason: Reason, _ why: String) {
    switch outcome {
    case .success(let verified): require(false, "\(why): accepted invitation \(verified.invitation.id)")
    case .failure(let denial): require(denial.reason == reason, "\(why): expected \(reason), got \(denial.reason): \(denial.detail)")
    }
}

/// An invitation read from claims survives re-serialisation and re-minting.
private func checkInvitation(_ invitation: Invitation) {
    // The claims as kept re-parse to the same invitation.
    let kept = invitation.claimsJSON()
    require((try? Invitation(claimsJSON: kept)) == invitation, "kept claims do not re-parse to the same invitation")

    // Minting it again (as `tessera` would re-sign it) verifies to the same invitation.
    let minter = Minter(key: Fixtures.signingKey)
    let minted = Array(minter.mint(invitation).utf8)
    if minted.count <= SignedToken.maximumLength {
        let again = try? Fixtures.verifier.verifySignature(minted)
        require(again?.invitation == invitation, "a re-minted invitation does not verify to itself")
    }

    // A fresh invitation with the same fields (as `tessera mint` builds one) serialises to claims
    // that read back to the same fields. Times are written in whole seconds, and only years
    // 0000-9999 can be written at all.
    let times = [invitation.issuedAt, invitation.notBefore, invitation.expiresAt].compactMap { $0 }
    guard times.allSatisfy({ Timestamp(rfc3339: $0.rfc3339) != nil }) else { return }
    let fresh = Invitation(id: invitation.id, project: invitation.project, role: invitation.role, issuedAt: invitation.issuedAt,
                           notBefore: invitation.notBefore, expiresAt: invitation.expiresAt, issuer: invitation.issuer,
                           audience: invitation.audience, subject: invitation.subject, userID: invitation.userID,
                           uses: invitation.uses, anonymous: invitation.anonymous, label: invitation.label,
                           memberFor: invitation.memberFor, domain: invitation.domain)
    guard let read = try? Invitation(claimsJSON: fresh.claimsJSON()) else {
        require(false, "a fresh invitation's claims do not parse")
        return
    }
    func second(_ time: Timestamp?) -> Int64? { time?.seconds }
    require(exactly(read.id, fresh.id) && exactly(read.project, fresh.project) && exactly(read.role, fresh.role)
            && second(read.issuedAt) == second(fresh.issuedAt) && second(read.notBefore) == second(fresh.notBefore)
            && second(read.expiresAt) == second(fresh.expiresAt) && exactly(read.issuer, fresh.issuer)
            && exactly(read.audience, fresh.audience) && exactly(read.subject, fresh.subject) && exactly(read.userID, fresh.userID)
            && read.uses == fresh.uses && read.anonymous == fresh.anonymous && exactly(read.label, fresh.label),
            "a fresh invitation's claims read back differently")
}
