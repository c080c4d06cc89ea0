import Synchronization
import TesseraCore

/// The verifier in force, rebuilt from the revocation list and the keys folder whenever they change.
///
/// A list file is watched; a list published at a URL is fetched again every `remoteRefresh`.
/// Requests read an immutable snapshot, so a reload swaps it without pausing or dropping
/// anything. A broken edit never replaces a good list: the last good one stays in force and
/// the problem is kept (with its line number) for `/healthz` until the file is fixed.
final class VerifierStore: Sendable {
    /// The verifier and the generation of its keyring, which the signature cache is tied to.
    struct Snapshot: Sendable {
        let verifier: Verifier
        /// Increases whenever the set of trusted keys changes, so cached signatures from removed keys are never used.
        let keyringGeneration: Int
        /// When the signed list in force expires (`exp`); past it (and the leeway) the gateway cannot decide and answers 503.
        var revocationsExpireAt: Timestamp? = nil

        /// Whether the list in force has expired at `now`: then no revocation is known to be current, so nothing is granted.
        func revocationsExpired(at now: Timestamp) -> Bool {
            guard let revocationsExpireAt else { return false }
            return now > revocationsExpireAt.adding(seconds: verifier.leeway)
        }
    }

    /// A file that could not be loaded, and why.
    struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        let file: String
        /// The 1-based line, for a malformed revocation list entry.
        let line: Int?
        let message: String
        /// What to do about it, where that is known (the keys folder's problems).
        var hint: String?

        var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }

        init(file: String, line: Int?, message: String, hint: String? = nil) {
            self.file = file
            self.line = line
            self.message = message
            self.hint = hint
        }

        init(_ problem: RevocationSource.Problem) {
            self.init(file: problem.source, line: problem.line, message: problem.message)
        }
    }

    /// What one check for changes did, for logs and metrics.
    enum Event: Sendable, Equatable {
        case revocationsReloaded(entries: Int)
        case keysReloaded(count: Int)
        case failed(Problem)
    }

    private struct Watched<Stamp: Equatable & Sendable>: Sendable {
        /// The stamp whose contents are in force (or were found broken).
        var applied: Stamp?
        /// A newer stamp seen on the previous check: applied once it holds still for one interval, so a half-written file is not read.
        var pending: Stamp?
        var problem: Problem?
    }

    private struct State: Sendable {
        var snapshot: Snapshot
        var revocations: Watched<FileStamp?>
        var keys: Watched<[String: FileStamp]>
        /// Whether the revocation list file has existed: once it has, its disappearance is a problem, not "nothing revoked".
        var revocationListSeen: Bool
        /// The signing time of the signed list in force: an older one offered later is a rollback.
        var revocationsIssuedAt: Timestamp?
        var lastChange: Timestamp
    }

    private let keysDirectory: String
    /// Where the revocation list comes from.
    let source: RevocationSource
    private let revocationListRequired: Bool
    /// `state/revocation-list.iat`: the newest signed list accepted, remembered across restarts.
    private let memo: String
    private let state: Mutex<State>

    /// Loads the keys and the revocation list once; at start-up there is no last good copy, so any problem is fatal.
    ///
    /// - Parameter fetched: the list already fetched from a URL source (by `Gateway.serve`); a file source is read here.
    init(configuration: GatewayConfiguration, fetched: RevocationSource.Loaded? = nil) throws(GatewayError) {
        keysDirectory = configuration.site.keys
        source = configuration.revocationSource ?? .file(configuration.site.revocationList)
        revocationListRequired = configuration.revocationSource != nil
        memo = RevocationSource.memo(for: configuration.site)

        let keyStamps = Self.keyStamps(in: keysDirectory)
        let keyring: Keyring
        switch Self.loadKeyring(keysDirectory) {
        case .success(let loaded): keyring = loaded
        case .failure(let problem):
            throw GatewayError("cannot load the keys folder: \(problem.hint == nil ? problem.description : problem.message)",
                               hint: problem.hint ?? Keyring.LoadError.whereKeysAre)
        }
        let revocationStamp = Self.watchedPath(of: source).flatMap { FileStamp(path: $0) }
        let loaded: RevocationSource.Loaded
        switch source {
        case .file(let path):
            do {
                loaded = try RevocationSource.readFile(path, required: revocationListRequired, keyring: keyring, memo: memo, notOlderThan: nil,
                                                       checks: RevocationSource.Checks(now: .now, leeway: configuration.leeway))
            } catch {
                throw GatewayError(error.description, hint: error.advice)
            }
        case .url(let url):
            guard let fetched else {
                throw GatewayError("\(url): the revocation list must be fetched before the gateway is built", hint: "start it with Gateway.serve")
            }
            loaded = fetched
        }
        var verifier = Verifier(keyring: keyring, revocations: loaded.list, audience: configuration.audience, leeway: configuration.leeway)
        verifier.allowsSignup = configuration.allowsSignup
        state = Mutex(State(snapshot: Snapshot(verifier: verifier, keyringGeneration: 0, revocationsExpireAt: loaded.expiresAt),
                            revocations: Watched(applied: .some(revocationStamp)),
                            keys: Watched(applied: keyStamps),
                            revocationListSeen: revocationStamp != nil,
                            revocationsIssuedAt: loaded.issuedAt,
                            lastChange: .now))
    }

    /// The list file watched for edits; nil when the list comes from a URL.
    private var watchedPath: String? { Self.watchedPath(of: source) }

    private static func watchedPath(of source: RevocationSource) -> String? {
        if case .file(let path) = source { return path }
        return nil
    }

    /// The verifier in force.
    var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Files that failed to load on their last change; empty when all is well.
    var problems: [Problem] { state.withLock { [$0.keys.problem, $0.revocations.problem].compactMap { $0 } } }

    /// When the verifier in force was last replaced.
    var lastChange: Timestamp { state.withLock { $0.lastChange } }

    /// Checks the list file and the keys folder and swaps in what changed; cheap when nothing did (a few `stat` calls).
    func reloadIfChanged() -> [Event] {
        var events: [Event] = []
        if let path = watchedPath, let stamp = settled(FileStamp(path: path), in: \.revocations) {
            let (required, snapshot, held) = state.withLock { ($0.revocationListSeen || revocationListRequired, $0.snapshot, $0.revocationsIssuedAt) }
            do {
                // Once the list in force came signed from this file, a plain one does not replace it (until a restart).
                let loaded = try RevocationSource.readFile(path, required: required, keyring: snapshot.verifier.keyring, memo: memo, notOlderThan: held,
                                                           checks: Self.checks(snapshot), signedOnly: held != nil)
                apply(loaded)
                state.withLock { state in
                    state.revocations = Watched(applied: stamp)
                    state.revocationListSeen = state.revocationListSeen || stamp != nil
                }
                events.append(.revocationsReloaded(entries: loaded.list.count))
            } catch {
                let problem = Problem(error)
                state.withLock { $0.revocations = Watched(applied: stamp, problem: problem) }
                events.append(.failed(problem))
            }
        }
        if let stamps = settled(Self.keyStamps(in: keysDirectory), in: \.keys) {
            switch Self.loadKeyring(keysDirectory) {
            case .success(let keyring):
                state.withLock { state in
                    var verifier = state.snapshot.verifier
                    let generation = state.snapshot.keyringGeneration + (verifier.keyring == keyring ? 0 : 1)
                    verifier.keyring = keyring
                    state.snapshot = Snapshot(verifier: verifier, keyringGeneration: generation, revocationsExpireAt: state.snapshot.revocationsExpireAt)
                    state.keys = Watched(applied: stamps)
                    state.lastChange = .now
                }
                events.append(.keysReloaded(count: keyring.keys.count))
            case .failure(let problem):
                state.withLock { $0.keys = Watched(applied: stamps, problem: problem) }
                events.append(.failed(problem))
            }
        }
        return events
    }

    /// Fetches the list from its URL again and swaps it in when it changed; a failure keeps the last good list and is reported.
    func refreshRemote() async -> [Event] {
        guard case .url = source else { return [] }
        let (snapshot, held) = state.withLock { ($0.snapshot, $0.revocationsIssuedAt) }
        do {
            let loaded = try await source.load(keyring: snapshot.verifier.keyring, memo: memo, notOlderThan: held, checks: Self.checks(snapshot))
            let changed = state.withLock {
                $0.snapshot.verifier.revocations != loaded.list || $0.revocationsIssuedAt != loaded.issuedAt || $0.snapshot.revocationsExpireAt != loaded.expiresAt
            }
            state.withLock { $0.revocations.problem = nil }
            guard changed else { return [] }
            apply(loaded)
            return [.revocationsReloaded(entries: loaded.list.count)]
        } catch {
            let problem = Problem(error)
            state.withLock { $0.revocations.problem = problem }
            return [.failed(problem)]
        }
    }

    /// What a new list is checked against: the clock, the leeway, and the list in force (whose revoked keys cannot sign its successor).
    private static func checks(_ snapshot: Snapshot) -> RevocationSource.Checks {
        RevocationSource.Checks(now: .now, leeway: snapshot.verifier.leeway, inForce: snapshot.verifier.revocations)
    }

    /// Puts a newly read list in force.
    private func apply(_ loaded: RevocationSource.Loaded) {
        state.withLock { state in
            var verifier = state.snapshot.verifier
            verifier.revocations = loaded.list
            state.snapshot = Snapshot(verifier: verifier, keyringGeneration: state.snapshot.keyringGeneration, revocationsExpireAt: loaded.expiresAt)
            state.revocationsIssuedAt = loaded.issuedAt ?? state.revocationsIssuedAt
            state.lastChange = .now
        }
    }

    /// The new stamp to load, once a change has held still since the previous check; nil while nothing is due.
    private func settled<Stamp: Equatable & Sendable>(_ current: Stamp, in path: WritableKeyPath<State, Watched<Stamp>>) -> Stamp? {
        state.withLock { state -> Stamp? in
            if state[keyPath: path].applied == current {
                state[keyPath: path].pending = nil
                return nil
            }
            if state[keyPath: path].pending == current { return current }
            state[keyPath: path].pending = current
            return nil
        }
    }

    private static func loadKeyring(_ directory: String) -> Result<Keyring, Problem> {
        let keyring: Keyring
        do {
            keyring = try Keyring.load(directory: directory)
        } catch {
            return .failure(Problem(file: directory, line: nil, message: error.description, hint: error.hint))
        }
        // An empty keyring would refuse every token; keeping the last good keys is the safer reading of a half-done rotation.
        guard !keyring.isEmpty else { return .failure(Problem(file: directory, line: nil, message: "no public keys (NAME\(Keyring.publicKeySuffix))")) }
        return .success(keyring)
    }

    /// The stamps of the folder itself and of every public key file in it.
    private static func keyStamps(in directory: String) -> [String: FileStamp] {
        var stamps: [String: FileStamp] = [:]
        if let stamp = FileStamp(path: directory) { stamps["."] = stamp }
        if let names = try? FileSystem.contents(ofDirectory: directory) {
            for name in KeyFolder.names(in: names, suffix: Keyring.publicKeySuffix).map({ $0 + Keyring.publicKeySuffix }) {
                if let stamp = FileStamp(path: FileSystem.join(directory, name)) { stamps[name] = stamp }
            }
        }
        return stamps
    }
}
