import PostgresNIO
import struct Foundation.UUID
import TesseraCore

/// The two statements of every redemption, prepared once per connection: PostgreSQL then parses
/// and plans each one once, not at every request, which about doubles what a first use costs it
/// (`pgbench -M prepared` against `-M extended`, same script: 2,271 against 1,054 first uses/s).
/// Each carries a batch of requests that arrived together (`BatchQueue`).
extension PostgresLedger {
    /// The committed rows of a batch of subjects (`ReadBatches`), each with its invitation's use
    /// count: no lock, nothing written. A row per subject found, numbered by the subject's place
    /// in the batch (`slot`, from 1); none for a subject not found.
    ///
    /// Each subject is looked up by the primary key in a `LATERAL … LIMIT 1`: a connection plans
    /// a prepared statement once for all later executions (a generic plan), and with a plain join
    /// a connection that prepared it while the ledger was new and small kept a hash join over the
    /// whole table, read once per batch however far the ledger grew.
    struct EarlierRead: PostgresPreparedStatement {
        static let name = "tessera_earlier_read"
        static let sql = """
            SELECT r.slot::integer, f.invitation_id, f.subject, f.project, f.role, f.accepted_at, f.expires_at, f.member_until, f.uses_taken
            FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(invitation_id, subject, slot)
            CROSS JOIN LATERAL (
                SELECT a.invitation_id, a.subject, a.project, a.role, a.accepted_at, a.expires_at, a.member_until, i.uses_taken
                FROM tessera_acceptance a JOIN tessera_invitation i ON i.invitation_id = a.invitation_id
                WHERE a.invitation_id = r.invitation_id AND a.subject = r.subject
                LIMIT 1
            ) f
            """
        static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray]
        typealias Row = (slot: Int, acceptance: Acceptance, taken: Int)

        let invitationIDs: [String]
        let subjects: [String]

        init(_ keys: [(invitationID: String, subject: String)]) {
            invitationIDs = keys.map(\.invitationID)
            subjects = keys.map(\.subject)
        }

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(invitationIDs)
            bindings.append(subjects)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (slot, invitation, subject, project, role, accepted, expires, memberUntil, taken) =
                try row.decode((Int32, String, String, String, String, Int64, Int64?, Int64?, Int32).self)
            return (Int(slot), PostgresLedger.acceptance((invitation, subject, project, role, accepted, expires, memberUntil)), Int(taken))
        }
    }

    /// The first uses of a batch (up to `FirstUseBatches.maximumBatch`, of distinct invitations)
    /// in one statement that commits by itself (see `apply`): one commit, one WAL flush and one
    /// round trip for all of them.
    ///
    /// `req` unpacks the requests, each numbered by its place in the batch (`slot`). `counted`
    /// creates each invitation's row, or locks it and takes a use if one is left: until the
    /// statement commits, other first uses of these invitations, from any host, wait there.
    /// `added` inserts each subject's row numbered with its use. A subject committed meanwhile by
    /// another gateway conflicts there: then `tessera_use_given_back()` raises an error, so the
    /// whole statement rolls back, no use is taken, and each request is tried again on its own.
    /// `attempted` records the attempt's id for `resolve`. `announced` writes each new row's
    /// event, numbered by the transaction's id and the slot (`eventBase`): no shared counter, so
    /// first uses of different invitations do not wait for each other. Returns, per slot, the use
    /// taken (NULL when none) and whether the invitation's row was locked.
    ///
    /// Optional values travel as sentinels (`none`, or 0 uses for no limit): PostgresNIO's arrays
    /// have no NULL elements.
    struct FirstUse: PostgresPreparedStatement {
        static let name = "tessera_first_use"
        static let none = Int64.min
        static let sql = """
            WITH req AS (
                SELECT * FROM unnest($1::text[], $2::int8[], $3::int4[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[], $10::bool[])
                    WITH ORDINALITY AS r(invitation_id, expires_at, maximum_uses, subject, project, role, accepted_at, member_until, created_account, slot)
            ), counted AS (
                INSERT INTO tessera_invitation AS i (invitation_id, uses_taken, expires_at)
                SELECT invitation_id, 1, NULLIF(expires_at, '\(none)'::bigint) FROM req
                ON CONFLICT (invitation_id) DO UPDATE SET uses_taken = i.uses_taken + 1
                WHERE i.uses_taken < COALESCE((SELECT NULLIF(q.maximum_uses, 0) FROM req q WHERE q.invitation_id = i.invitation_id), 2147483647)
                RETURNING invitation_id, uses_taken
            ), added AS (
                INSERT INTO tessera_acceptance (invitation_id, subject, project, role, accepted_at, expires_at, use_number, member_until)
                SELECT r.invitation_id, r.subject, r.project, r.role, r.accepted_at, NULLIF(r.expires_at, '\(none)'::bigint), c.uses_taken, NULLIF(r.member_until, '\(none)'::bigint)
                FROM req r JOIN counted c USING (invitation_id)
                ON CONFLICT (invitation_id, subject) DO NOTHING
                RETURNING invitation_id, use_number
            ), attempted AS (
                INSERT INTO tessera_attempt (nonce, created_at) SELECT $9, (SELECT max(accepted_at) FROM req) WHERE EXISTS (SELECT 1 FROM added)
            ), announced AS (
                INSERT INTO tessera_event (id, slot, invitation_id, subject, project, role, accepted_at, expires_at, member_until, created_account)
                SELECT \(PostgresLedger.eventBase) + r.slot, r.slot, r.invitation_id, r.subject, r.project, r.role, r.accepted_at,
                       NULLIF(r.expires_at, '\(none)'::bigint), NULLIF(r.member_until, '\(none)'::bigint), r.created_account
                FROM req r JOIN added a USING (invitation_id)
            )
            SELECT r.slot::integer, a.use_number, c.invitation_id IS NOT NULL,
                   CASE WHEN c.invitation_id IS NOT NULL AND a.invitation_id IS NULL THEN tessera_use_given_back() END
            FROM req r LEFT JOIN counted c ON c.invitation_id = r.invitation_id LEFT JOIN added a ON a.invitation_id = r.invitation_id
            ORDER BY r.slot
            """
        static let bindingDataTypes: [PostgresDataType] = [.textArray, .int8Array, .int4Array, .textArray, .textArray, .textArray,
                                                           .int8Array, .int8Array, .uuid, .boolArray]
        /// One per request, in order: the use taken (nil when none), and whether its invitation's row was locked.
        typealias Row = (slot: Int32, use: Int32?, locked: Bool)

        let requests: [RedemptionRequest]
        let attempt: UUID

        func makeBindings() -> PostgresBindings {
            let new = requests.map(\.acceptance)
            var bindings = PostgresBindings(capacity: 10)
            bindings.append(new.map(\.invitationID))
            bindings.append(new.map { $0.expiresAt.map(PostgresLedger.storedExpiry) ?? Self.none })
            bindings.append(requests.map { $0.maximumUses.map { Int32(clamping: $0) } ?? 0 })
            bindings.append(new.map(\.subject))
            bindings.append(new.map(\.project))
            bindings.append(new.map(\.role))
            bindings.append(new.map(\.acceptedAt.seconds))
            bindings.append(new.map { $0.memberUntil.map(PostgresLedger.storedExpiry) ?? Self.none })
            bindings.append(attempt)
            bindings.append(requests.map(\.isSignup))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (slot, use, locked, _) = try row.decode((Int32, Int32?, Bool, Int32?).self)
            return (slot, use, locked)
        }
    }
}
