import TesseraCore

/// The small human pages `/join` answers with when it cannot redeem: what went wrong and what to do, in plain words.
///
/// Self-contained (no scripts, images or style sheets from elsewhere), every claim-derived
/// text HTML-escaped, and never the token.
struct JoinPage: Equatable {
    /// The HTTP status: 400 for a damaged or foreign link, 410 for one that will never work again, 403 for one that needs something else, 503 when the ledger is down, 413 for an over-size form.
    let status: Int
    /// The headline.
    let title: String
    /// What happened and what to do.
    let message: String
    /// The verifier's own sentence, in small print, for whoever helps.
    let detail: String?

    /// The page for a refused redemption.
    init(denial: Denial) {
        let invitation = denial.invitation
        detail = denial.detail
        switch denial.reason {
        case .malformed:
            status = 400
            title = "This invitation link is damaged"
            message = "The invitation in this link cannot be read. Copy the whole link, or ask for a new one."
        case .unknownKey, .badSignature:
            status = 400
            title = "This invitation is not valid here"
            message = "It was not signed by a key this site trusts. Check that you opened the right site, or ask for a new invitation."
        case .expired:
            status = 410
            title = "This invitation has expired"
            message = invitation?.expiresAt.map { "It expired on \(Self.humanTime($0)). Ask whoever sent it for a new one." }
                ?? "Ask whoever sent it for a new one."
        case .notYetValid:
            status = 403
            title = "This invitation is not valid yet"
            message = invitation?.notBefore.map { "It can be used from \(Self.humanTime($0))." } ?? "Its issue time lies in the future: check the clock of this machine."
        case .revoked:
            status = 410
            title = "This invitation was withdrawn"
            message = "Whoever sent it has revoked it. Ask them for a new one if you still need access."
        case .usedUp:
            status = 410
            title = "This invitation has already been used"
            if let uid = invitation?.userID {
                message = "It already created the account \(uid). Sign in as \(uid) instead of joining again."
            } else {
                message = "All of its places are taken. Ask whoever sent it for a new one."
            }
        case .notForSubject:
            status = 403
            title = "Sign in to accept this invitation"
            if let target = invitation?.subject {
                message = "This invitation is for \(target). Sign in as \(target), then open the link again."
            } else {
                message = "This invitation is for signed-in people. Sign in, then open the link again."
            }
        case .notForProject, .notForAudience:
            status = 403
            title = "This invitation is for another site"
            message = "It cannot be used here. Check that you opened the link on the right site."
        case .membershipEnded:
            status = 403
            title = "Your membership has ended"
            message = "The invitation you accepted gave membership for a set time, and that time is over. Ask whoever invited you for a new invitation."
        case .memberRemoved:
            status = 403
            title = "You were removed from this project"
            message = "Ask whoever invited you if you think this is a mistake."
        case .outsideDelegation:
            status = 403
            title = "This invitation asks for more than its sender may give"
            message = "Whoever sent it may not invite to this project or with these terms. Ask a project admin for a new one."
        case .ledgerUnavailable, .revocationListExpired:
            status = 503
            title = "Please try again in a minute"
            message = "Your membership could not be recorded just now, so nothing was granted. Open the link again shortly."
        }
    }

    private init(status: Int, title: String, message: String, detail: String?) {
        self.status = status
        self.title = title
        self.message = message
        self.detail = detail
    }

    /// The page for a request that carried no token.
    static let missingToken = JoinPage(status: 400, title: "No invitation in this link",
                                       message: "This address needs an invitation. Open the link from your invitation again, or use its Join button.",
                                       detail: nil)

    /// The page for a request whose form could not be read.
    static let unreadableForm = JoinPage(status: 400, title: "This request could not be read",
                                         message: "Use the Join button on the invitation page, or open the invitation link again.",
                                         detail: nil)

    /// The page for a form bigger than any invitation needs.
    static let tooLarge = JoinPage(status: 413, title: "This request is too large",
                                   message: "It is bigger than any invitation. Use the Join button on the invitation page, or open the invitation link again.",
                                   detail: nil)

    /// The page for a POST from a page of another site: nothing was redeemed.
    static func foreignOrigin(_ origin: String?) -> JoinPage {
        JoinPage(status: 403, title: "Join from the invitation page",
                 message: "This request did not come from the invitation page or from this site, so nothing was joined. "
                     + "Open your invitation link and use its Join button.",
                 detail: origin.map { "The form was sent from \($0), which is not an origin this gateway accepts joins from (--join-origin)." }
                     ?? "The form carried no Origin or Referer header naming the page it was sent from.")
    }

    /// The answer to `GET /join`: a Join button that POSTs the token (or a field to paste it into); a GET never redeems.
    /// The action is `/join` with no query, so the token travels in the POST body and never in a request line; a
    /// token whose signature checks out names the project and role being joined.
    static func confirmation(token: String?, project: String? = nil, role: String? = nil) -> String {
        let terms = project.map { project in
            "<p>You are joining the project <strong>\(escape(project))</strong>" + (role.map { " as <strong>\(escape($0))</strong>" } ?? "") + ".</p>"
        } ?? ""
        let field = token.map { "<input type=\"hidden\" name=\"token\" value=\"\(escape($0))\">" }
            ?? "<p><label>Invitation <input name=\"token\" required autocomplete=\"off\"></label></p>"
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><meta name="referrer" content="same-origin">
        <title>Join</title>
        <style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}button{font:inherit;padding:.5rem 1.5rem}</style>
        </head><body>
        <h1>Accept this invitation?</h1>
        \(terms)
        <form method="post" action="/join">
        \(field)
        <p><button type="submit">Join</button></p>
        </form>
        </body></html>

        """
    }

    /// The page as a complete HTML document.
    var html: String {
        var page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
        <title>\(Self.escape(title))</title>
        <style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}.detail{color:#666;font-size:.85rem}</style>
        </head><body>
        <h1>\(Self.escape(title))</h1>
        <p>\(Self.escape(message))</p>

        """
        if let detail { page += "<p class=\"detail\">\(Self.escape(detail))</p>\n" }
        page += "</body></html>\n"
        return page
    }

    /// `2026-05-01 12:00 UTC`: a date people read without a time-zone lookup.
    static func humanTime(_ time: Timestamp) -> String {
        let text = time.rfc3339  // YYYY-MM-DDTHH:MM:SSZ
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    /// Escapes the five characters that matter in HTML text and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
