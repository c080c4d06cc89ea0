import PostgresNIO
import struct Foundation.UUID
import TesseraCore

/// The two statements of every redemption, prepared once per connection: PostgreSQL then parses
/// and plans each one once, not at every request, which about doubles what a first use costs it
/// (`pgbench -M prepared` against `-M extended`, same script: 2,271 against 1,054 first uses/s).
extension PostgresLedger {
    /// The subject's committed row with its invitation's use count: no lock, nothing written.
    struct EarlierRead: PostgresPreparedStatement {
        static let name = "tessera_earlier_read"
        static let sql = """
            SELECT a.invitation_id, a.subject, a.project, a.role, a.accepted_at, a.expires_at, a.member_until, i.uses_taken
            FROM tessera_acceptance a JOIN tessera_invitation i ON i.invitation_id = a.invitation_id
            WHERE a.invitation_id = $1 AND a.subject = $2
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .text]
        typealias Row = (Acceptance, Int)

        let invitationID: String
        let subject: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(invitationID)
            bindings.append(subject)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (invitation, subject, project, role, accepted, expires, memberUntil, taken) =
                try row.decode((String, String, String, String, Int64, Int64?, Int64?, Int32).self)
            return (PostgresLedger.acceptance((invitation, subject, project, role, accepted, expires, memberUntil)), Int(taken))
        }
    }

    /// A first use in one statement that commits by itself (see `apply`).
    ///
    /// `counted` creates the invitation's row, or locks it and takes a use if one is left: until
    /// the statement commits, other first uses of this invitation, from any host, wait here.
    /// `added` inserts the subject's row numbered with that use. A subject committed meanwhile by
    /// another gateway conflicts there: then `tessera_use_given_back()` raises an error, so the
    /// whole statement rolls back and the use is not taken. `attempted` records the attempt's id
    /// for `resolve`. `announced` writes the feed's event of the new row, numbered by the
    /// transaction's id (`eventID`): no shared counter, so first uses of different invitations do
    /// not wait for each other. Returns the use taken (NULL when none) and whether the invitation's
    /// row was locked.
    struct FirstUse: PostgresPreparedStatement {
        static let name = "tessera_first_use"
        static let sql = """
            WITH counted AS (
                INSERT INTO tessera_invitation AS i (invitation_id, uses_taken, expires_at) VALUES ($1, 1, $2)
                ON CONFLICT (invitation_id) DO UPDATE SET uses_taken = i.uses_taken + 1
                WHERE $3::integer IS NULL OR i.uses_taken < $3::integer
                RETURNING uses_taken
            ), added AS (
                INSERT INTO tessera_acceptance (invitation_id, subject, project, role, accepted_at, expires_at, use_number, member_until)
                SELECT $1, $4, $5, $6, $7, $2, uses_taken, $8 FROM counted
                ON CONFLICT (invitation_id, subject) DO NOTHING
                RETURNING use_number
            ), attempted AS (
                INSERT INTO tessera_attempt (nonce, created_at) SELECT $9, $7 FROM added
            ), announced AS (
                INSERT INTO tessera_event (id, invitation_id, subject, project, role, accepted_at, expires_at, member_until, created_account)
                SELECT \(PostgresLedger.eventID), $1, $4, $5, $6, $7, $2, $8, $10 FROM added
            )
            SELECT (SELECT use_number FROM added), EXISTS (SELECT 1 FROM counted),
                   CASE WHEN EXISTS (SELECT 1 FROM counted) AND NOT EXISTS (SELECT 1 FROM added) THEN tessera_use_given_back() END
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int4, .text, .text, .text, .int8, .int8, .uuid, .bool]
        typealias Row = (use: Int32?, locked: Bool)

        let request: RedemptionRequest
        let attempt: UUID

        func makeBindings() -> PostgresBindings {
            let new = request.acceptance
            var bindings = PostgresBindings(capacity: 10)
            bindings.append(new.invitationID)
            bindings.append(new.expiresAt.map(PostgresLedger.storedExpiry))
            bindings.append(request.maximumUses.map { Int32(clamping: $0) })
            bindings.append(new.subject)
            bindings.append(new.project)
            bindings.append(new.role)
            bindings.append(new.acceptedAt.seconds)
            bindings.append(new.memberUntil.map(PostgresLedger.storedExpiry))
            bindings.append(attempt)
            bindings.append(request.isSignup)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (use, locked, _) = try row.decode((Int32?, Bool, Int32?).self)
            return (use, locked)
        }
    }
}
