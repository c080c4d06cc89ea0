import TesseraCore

/// The gateway's answer to one `/verify` request.
enum Decision: Sendable, Equatable {
    /// Allowed: the subject to pass on, and the invitation that allowed it.
    case granted(subject: String, invitation: Invitation)
    /// No token at all (neither bearer nor cookie).
    case missingToken
    /// Refused, with the reason and the explanation.
    case denied(Denial)

    /// The outcome label used in metrics and logs: `granted`, `missing_token`, or the reason.
    var label: String {
        switch self {
        case .granted: return "granted"
        case .missingToken: return "missing_token"
        case .denied(let denial): return denial.reason.rawValue
        }
    }

    /// The position of `label` in `GatewayMetrics.decisionOutcomes`, so counting needs no string hashing.
    var outcomeIndex: Int {
        switch self {
        case .granted: return 0
        case .missingToken: return 1
        case .denied(let denial): return 2 + Reason.allCases.firstIndex(of: denial.reason)!
        }
    }

    /// The HTTP status: 200, or the one the reason maps to everywhere in Tessera.
    var httpStatus: Int {
        switch self {
        case .granted: return 200
        case .missingToken: return 401
        case .denied(let denial): return denial.reason.httpStatus
        }
    }
}
