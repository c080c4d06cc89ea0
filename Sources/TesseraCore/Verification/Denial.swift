/// Why a verifier refused an invitation: the one list from which exit codes and HTTP statuses derive.
public enum Reason: String, Sendable, CaseIterable, Codable {
    /// The token is not a well-formed Tessera token (format, footer or claims).
    case malformed
    /// The footer names a key the verifier does not trust.
    case unknownKey = "unknown_key"
    /// The signature does not verify.
    case badSignature = "bad_signature"
    /// The invitation's `exp` has passed.
    case expired
    /// The invitation's `nbf` or `iat` is still in the future.
    case notYetValid = "not_yet_valid"
    /// A revocation list entry covers the invitation.
    case revoked
    /// The invitation names another subject, or needs one that was not given.
    case notForSubject = "not_for_subject"
    /// The invitation is for another project.
    case notForProject = "not_for_project"
    /// The invitation is for another audience.
    case notForAudience = "not_for_audience"
    /// Every use of the invitation is taken.
    case usedUp = "used_up"
    /// The ledger could not be read or written, so no decision is safe.
    case ledgerUnavailable = "ledger_unavailable"
    /// The signed revocation list in force has passed its `exp` (`revoked_valid_for`), so no decision is safe until a fresh one arrives.
    case revocationListExpired = "revocation_list_expired"
    /// The invitation asks for more than the delegation of the key that signed it allows (project, role, expiry or uses).
    case outsideDelegation = "outside_delegation"
    /// The subject accepted an invitation minted `--member-for`, and that span has passed since.
    case membershipEnded = "membership_ended"
    /// A `member:PROJECT:SUBJECT` entry of the revocation list removed this subject from the project.
    case memberRemoved = "member_removed"

    /// The `tessera-verify check` exit code for this reason.
    public var exitCode: Int32 {
        switch self {
        case .malformed: return 10
        case .unknownKey, .badSignature: return 11
        case .expired, .notYetValid: return 12
        case .revoked: return 13
        case .notForSubject, .notForProject, .notForAudience, .outsideDelegation: return 14
        case .usedUp: return 15
        case .ledgerUnavailable, .revocationListExpired: return 16
        case .membershipEnded: return 17
        case .memberRemoved: return 18
        }
    }

    /// The HTTP status a gateway answers for this reason.
    public var httpStatus: Int {
        switch self {
        case .malformed, .unknownKey, .badSignature, .expired, .notYetValid: return 401
        case .revoked, .notForSubject, .notForProject, .notForAudience, .outsideDelegation, .usedUp, .membershipEnded, .memberRemoved: return 403
        case .ledgerUnavailable, .revocationListExpired: return 503
        }
    }
}

/// A refusal: the reason, a human explanation, and the invitation when it could be read.
public struct Denial: Error, Sendable, Equatable {
    /// Why access was refused.
    public let reason: Reason
    /// One lowercase sentence for people, never containing the token.
    public let detail: String
    /// The verified invitation, when the refusal came after the signature was checked.
    public let invitation: Invitation?

    public init(_ reason: Reason, _ detail: String, invitation: Invitation? = nil) {
        self.reason = reason
        self.detail = detail
        self.invitation = invitation
    }
}
