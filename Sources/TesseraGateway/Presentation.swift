/// What one request presents to the gateway, already read from HTTP: the candidate tokens, who is asking, and for which project.
struct Presentation: Sendable {
    /// The candidate tokens: the bearer token alone, or else every `tessera` cookie in header order.
    var tokens: [[UInt8]]
    /// Who is asking, when known.
    var subject: Subject?
    /// Which project the protected resource belongs to.
    var project: ProjectRequirement

    /// Who presents the token.
    enum Subject: Sendable, Equatable {
        /// A signed-in person, named by the trusted identity header.
        case identity(String)
        /// A person who joined anonymously before, named by the anonymous cookie (`anon-…`).
        case anonymous(String)
        /// The trusted identity header cannot be believed: it names a subject reserved for anonymous members (`anon-…`,
        /// `anonymous`), or it comes more than once (the proxy kept the client's copy). Nothing is granted; the text says why.
        case refused(String)
    }

    /// The project a request is for.
    enum ProjectRequirement: Sendable, Equatable {
        /// None required: any project's invitation will do.
        case any
        /// Only invitations for this project.
        case project(String)
        /// One is required but could not be determined (the URI does not fit the template, or two sources disagree): nothing is granted.
        case unresolved(String)
    }
}
