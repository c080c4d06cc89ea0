import Crypto
import Logging
import ServiceLifecycle
import Synchronization
import TesseraCore

/// Where `--on-join` sends its events, and the secret that signs them.
public struct OnJoinTarget: Sendable, Equatable {
    /// The receiver's address, `http://` or `https://`.
    public var url: String
    /// The shared secret of the HMAC-SHA256 signature (read from `--on-join-secret FILE`).
    public var secret: [UInt8]

    public init(url: String, secret: [UInt8]) {
        self.url = url
        self.secret = secret
    }

    /// The name under which the ledger remembers how far this receiver got: its address.
    var sink: String { url }
}

/// Sends one event: POST `body` with `headers` to `url`; the answer's status, or why there was none.
public typealias JoinEventPoster = @Sendable (_ url: String, _ headers: [(String, String)], _ body: [UInt8]) async -> Result<Int, JoinEventPostError>

/// Why a POST got no answer.
public struct JoinEventPostError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Delivers the ledger's new-membership events to `--on-join`: in commit order, at least once, with retries and backoff.
///
/// The events are written by the redemption's own transaction (`MembershipFeed`), so one that
/// is committed is never lost: a gateway killed between the commit and the delivery sends it
/// after its restart, from the position the ledger remembers for this receiver. An event is
/// marked delivered only after a 2xx answer, and the next one is sent only then, so the order
/// holds; a crash between the answer and the mark sends it again, with the same id (the
/// `Tessera-Event-Id` header, the receiver's idempotency key).
struct JoinNotifier: Service, CustomStringConvertible {
    let feed: any MembershipFeed
    let target: OnJoinTarget
    let post: JoinEventPoster
    let metrics: GatewayMetrics
    let logger: Logger
    /// Wakes the loop when this process records a membership, so delivery does not wait for the next poll.
    let wake: JoinNotifier.Bell

    var description: String { "JoinNotifier" }

    /// How often the feed is read when nothing rang: other gateways sharing the ledger also write to it.
    static let pollInterval: Duration = .milliseconds(200)
    /// The first wait after a failed delivery; it doubles up to `maximumBackoff`.
    static let firstBackoff: Duration = .milliseconds(100)
    static let maximumBackoff: Duration = .seconds(30)
    /// Events read per batch.
    static let batch = 100

    /// The header names of a delivery.
    static let idHeader = "Tessera-Event-Id"
    static let signatureHeader = "Tessera-Signature"
    static let timestampHeader = "Tessera-Timestamp"

    /// A level-triggered wake-up: `ring` from any thread, `wait` up to a time.
    final class Bell: Sendable {
        private let rung = Atomic<Bool>(false)

        init() {}

        func ring() { rung.store(true, ordering: .releasing) }

        /// Returns once rung (clearing it) or after `limit`, checking every 5 ms.
        func wait(upTo limit: Duration) async {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < limit {
                if rung.exchange(false, ordering: .acquiringAndReleasing) { return }
                guard (try? await Task.sleep(for: .milliseconds(5))) != nil else { return }
            }
        }
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await gracefulShutdown() }
            group.addTask { await deliverForever() }
            await group.next()
            group.cancelAll()
        }
    }

    private func deliverForever() async {
        var backoff = Self.firstBackoff
        while !Task.isCancelled {
            let failed: Bool
            do {
                failed = try await deliverPending()
            } catch {
                logger.warning("on-join: cannot read the event feed", metadata: ["error": .string("\(error)")])
                failed = true
            }
            if failed {
                guard (try? await Task.sleep(for: backoff)) != nil else { return }
                backoff = min(backoff * 2, Self.maximumBackoff)
            } else {
                backoff = Self.firstBackoff
                await wake.wait(upTo: Self.pollInterval)
            }
        }
    }

    /// Sends every event not yet acknowledged, oldest first; true when one failed (and so stopped the round).
    private func deliverPending() async throws(LedgerError) -> Bool {
        var through = try await Self.start(feed, sink: target.sink)
        var undelivered = try await feed.eventCount(after: through)
        metrics.setUndeliveredEvents(Int64(undelivered))
        while !Task.isCancelled {
            let events = try await feed.events(after: through, limit: Self.batch)
            if events.isEmpty { return false }
            for event in events {
                guard await deliver(event) else { return true }
                try await feed.markDelivered(target.sink, through: event.id)
                through = event.id
                metrics.recordDelivery()
                undelivered = max(0, undelivered - 1)
                metrics.setUndeliveredEvents(Int64(undelivered))
            }
        }
        return false
    }

    /// Where delivery to `sink` resumes: where it left off, or for a receiver never seen before, after the newest event.
    ///
    /// So turning `--on-join` on does not replay the ledger's history; from then on, nothing committed is skipped.
    static func start(_ feed: any MembershipFeed, sink: String) async throws(LedgerError) -> Int64 {
        if let through = try await feed.deliveredThrough(sink) { return through }
        let latest = try await feed.latestEventID()
        try await feed.markDelivered(sink, through: latest)
        return latest
    }

    /// One POST; true for a 2xx answer.
    private func deliver(_ event: MembershipEvent) async -> Bool {
        let body = event.json().serialized()
        let timestamp = String(Timestamp.now.seconds)
        let headers = [
            ("Content-Type", "application/json"),
            ("User-Agent", "tessera-verify"),
            (Self.idHeader, String(event.id)),
            (Self.timestampHeader, timestamp),
            (Self.signatureHeader, "sha256=" + Self.signature(secret: target.secret, timestamp: timestamp, body: body)),
        ]
        switch await post(target.url, headers, body) {
        case .success(let status) where (200..<300).contains(status):
            return true
        case .success(let status):
            metrics.recordDeliveryFailure()
            logger.warning("on-join: the receiver refused an event; retrying", metadata: ["event.id": .stringConvertible(event.id), "status": .stringConvertible(status)])
            return false
        case .failure(let error):
            metrics.recordDeliveryFailure()
            logger.warning("on-join: cannot deliver an event; retrying", metadata: ["event.id": .stringConvertible(event.id), "error": .string(error.description)])
            return false
        }
    }

    private static let poster = Mutex<JoinEventPoster?>(nil)

    /// The HTTP client a program registers (`tessera-verify` links one; the gateway library does not).
    static var registeredPoster: JoinEventPoster? { poster.withLock { $0 } }

    /// Makes `--on-join` deliverable in this process; `tessera-verify` calls it once at start-up.
    static func register(_ post: @escaping JoinEventPoster) { poster.withLock { $0 = post } }

    /// Lowercase hex HMAC-SHA256 of `TIMESTAMP.BODY` under the shared secret, as the README's receiver computes it.
    static func signature(secret: [UInt8], timestamp: String, body: [UInt8]) -> String {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in mac {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Gateway {
    /// Gives `--on-join` its HTTP client; `tessera-verify` calls it once at start-up.
    public static func registerJoinEventPoster(_ post: @escaping JoinEventPoster) {
        JoinNotifier.register(post)
    }
}
