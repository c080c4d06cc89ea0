import Foundation
import Hummingbird
import Logging
import TesseraCore
import TesseraMint
@testable import TesseraGateway

/// A site folder with one trusted signing key, a revocation list, and a gateway configuration pointing at them.
final class TestSite: @unchecked Sendable {
    let folder: URL
    let key: SigningKey
    let minter: Minter
    var configuration: GatewayConfiguration
    let ledger: InMemoryLedger

    init(revoked: String = "") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-gateway-test-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("keys"), withIntermediateDirectories: true)
        key = SigningKey()
        minter = Minter(key: key)
        ledger = InMemoryLedger()
        configuration = GatewayConfiguration()
        configuration.site = SiteFolder(root: folder.path)
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.reloadInterval = .milliseconds(50)
        // Where the link pages live (base_url's origin): POST /join is accepted from there.
        configuration.joinOrigins = [TestSite.linkPageOrigin]
        try write("keys/main.public.pem", key.publicKey.pemRepresentation)
        try write("revoked.txt", revoked)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    var path: String { folder.path }

    /// Replaces a file in the site atomically (write beside, then rename), as careful editors do.
    func write(_ relative: String, _ text: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(relative), options: .atomic)
    }

    /// Appends a line in place, as `echo … >> revoked.txt` does.
    func append(_ relative: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: folder.appendingPathComponent(relative))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// When a file in the site was last modified, in Unix seconds (the clock the gateway's reload timestamps use).
    func modificationTime(_ relative: String) throws -> Double {
        let date = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(relative).path)[.modificationDate] as! Date
        return date.timeIntervalSince1970
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(at: folder.appendingPathComponent(relative))
    }

    /// An invitation for `project` valid for an hour, with the given terms.
    func invitation(project: String = "lab", role: String = "viewer", subject: String? = nil, uid: String? = nil,
                    uses: Int? = nil, anonymous: Bool = false, audience: String? = nil, expiresIn: Int64? = 3600,
                    issuedAgo: Int64 = 10) -> Invitation {
        let now = Timestamp.now
        return Invitation(id: Minter.newInvitationID(), project: project, role: role, issuedAt: Timestamp(seconds: now.seconds - issuedAgo),
                          expiresAt: expiresIn.map { Timestamp(seconds: now.seconds + $0) }, audience: audience,
                          subject: subject, userID: uid, uses: uses, anonymous: anonymous)
    }

    /// Mints an invitation with this site's key.
    func mint(_ invitation: Invitation) -> String { minter.mint(invitation) }

    /// The gateway over this site, with an in-memory ledger unless another is given.
    func application(ledger: (any Ledger)? = nil, logger: Logger? = nil,
                     onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        // Quiet by default: several tests provoke errors on purpose.
        var quiet = Logger(label: "tessera.gateway.test")
        quiet.logLevel = .critical
        let logger = logger ?? quiet
        return try buildApplication(configuration, ledger: ledger ?? self.ledger, logger: logger, onServerRunning: onServerRunning)
    }
}

/// A ledger that cannot be reached: every call fails as a down database would.
struct UnavailableLedger: Ledger {
    func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption { throw .unavailable("connection refused") }
    func acceptances(project: String?) async throws(LedgerError) -> [Acceptance] { throw .unavailable("connection refused") }
    func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance] { throw .unavailable("connection refused") }
    func prune(expiredBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [String] { throw .unavailable("connection refused") }
}

extension TestSite {
    /// The origin of the static link pages in tests (`base_url`'s): their Join button posts from here.
    static let linkPageOrigin = "https://invites.example.org"
}

/// The headers of a Join button's POST from the link page, plus any others.
func joinHeaders(_ extra: KeyValuePairs<String, String> = [:]) -> HTTPFields {
    var fields = headers(["Origin": TestSite.linkPageOrigin, "Content-Type": "application/x-www-form-urlencoded"])
    for (name, value) in extra { fields.append(HTTPFields.Element(name: header(name), value: value)) }
    return fields
}

/// The form a Join button posts.
func joinForm(_ token: String) -> ByteBuffer { ByteBuffer(string: "token=\(token)") }

/// Header names by their text (HTTPTypes' `HTTPField` is not re-exported by Hummingbird).
func header(_ name: String) -> HTTPFields.Element.Name { HTTPFields.Element.Name(name)! }

/// Request headers from name-value pairs.
func headers(_ pairs: KeyValuePairs<String, String>) -> HTTPFields {
    var fields = HTTPFields()
    for (name, value) in pairs { fields.append(HTTPFields.Element(name: header(name), value: value)) }
    return fields
}

/// The value of an unlabelled series in Prometheus text, e.g. `tessera_last_reload_timestamp_seconds`.
func metric(_ name: String, in text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.dropFirst(name.count + 1))
    }
    return nil
}

/// How long a test waits for something that normally takes well under a second: generous, because under a
/// parallel `swift test` other suites can keep the shared task pool busy, which delays the test's own requests.
let patience: Duration = .seconds(10)

/// Polls `condition` every 20 ms for up to `limit`; returns the time it took, or nil if it never held.
func waitUntil(_ limit: Duration = .seconds(1), _ condition: () async throws -> Bool) async rethrows -> Duration? {
    let start = ContinuousClock.now
    while ContinuousClock.now - start <= limit {
        if try await condition() { return ContinuousClock.now - start }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return nil
}

/// A log handler that keeps every line, so tests can read what the gateway would write.
struct RecordingLogHandler: LogHandler {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [String] = []
        func append(_ line: String) { lock.withLock { storage.append(line) } }
        var all: [String] { lock.withLock { storage } }
    }

    let lines: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let merged = self.metadata.merging(metadata ?? [:]) { $1 }
        lines.append("\(level) \(message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
    }
}
