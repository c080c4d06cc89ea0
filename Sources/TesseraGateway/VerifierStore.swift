import Synchronization
import TesseraCore

/// The verifier in force, rebuilt from `revoked.txt` and the keys folder whenever they change.
///
/// Requests read an immutable snapshot, so a reload swaps it without pausing or dropping
/// anything. A broken edit never replaces a good list: the last good one stays in force and
/// the problem is kept (with its line number) for `/healthz` until the file is fixed.
final class VerifierStore: Sendable {
    /// The verifier and the generation of its keyring, which the signature cache is tied to.
    struct Snapshot: Sendable {
        let verifier: Verifier
        /// Increases whenever the set of trusted keys changes, so cached signatures from removed keys are never used.
        let keyringGeneration: Int
    }

    /// A file that could not be loaded, and why.
    struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        let file: String
        /// The 1-based line, for a malformed revocation list entry.
        let line: Int?
        let message: String

        var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
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
        var lastChange: Timestamp
    }

    private let keysDirectory: String
    private let revocationListPath: String
    private let revocationListRequired: Bool
    private let state: Mutex<State>

    /// Loads the keys and the revocation list once; at start-up there is no last good copy, so any problem is fatal.
    init(configuration: GatewayConfiguration) throws(GatewayError) {
        keysDirectory = configuration.site.keys
        revocationListPath = configuration.revocationListPath
        revocationListRequired = configuration.revocationList != nil

        let keyStamps = Self.keyStamps(in: keysDirectory)
        let keyring: Keyring
        switch Self.loadKeyring(keysDirectory) {
        case .success(let loaded): keyring = loaded
        case .failure(let problem):
            throw GatewayError("cannot load the keys folder: \(problem.description)", hint: "point --keys or --site at a folder holding NAME.public.pem files")
        }
        let revocationStamp = FileStamp(path: revocationListPath)
        let revocations: RevocationList
        switch Self.loadRevocations(revocationListPath, required: revocationListRequired) {
        case .success(let list): revocations = list ?? RevocationList()
        case .failure(let problem):
            throw GatewayError(problem.description, hint: problem.line == nil ? "check the --revoked path" : "fix or remove that line; '#' starts a comment")
        }
        let verifier = Verifier(keyring: keyring, revocations: revocations, audience: configuration.audience, leeway: configuration.leeway)
        state = Mutex(State(snapshot: Snapshot(verifier: verifier, keyringGeneration: 0),
                            revocations: Watched(applied: .some(revocationStamp)),
                            keys: Watched(applied: keyStamps),
                            revocationListSeen: revocationStamp != nil,
                            lastChange: .now))
    }

    /// The verifier in force.
    var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Files that failed to load on their last change; empty when all is well.
    var problems: [Problem] { state.withLock { [$0.keys.problem, $0.revocations.problem].compactMap { $0 } } }

    /// When the verifier in force was last replaced.
    var lastChange: Timestamp { state.withLock { $0.lastChange } }

    /// Checks both sources and swaps in what changed; cheap when nothing did (a few `stat` calls).
    func reloadIfChanged() -> [Event] {
        var events: [Event] = []
        let revocationStamp = FileStamp(path: revocationListPath)
        if let stamp = settled(revocationStamp, in: \.revocations) {
            switch Self.loadRevocations(revocationListPath, required: revocationListRequired || state.withLock { $0.revocationListSeen }) {
            case .success(let list):
                let list = list ?? RevocationList()
                state.withLock { state in
                    var verifier = state.snapshot.verifier
                    verifier.revocations = list
                    state.snapshot = Snapshot(verifier: verifier, keyringGeneration: state.snapshot.keyringGeneration)
                    state.revocations = Watched(applied: stamp)
                    state.revocationListSeen = state.revocationListSeen || stamp != nil
                    state.lastChange = .now
                }
                events.append(.revocationsReloaded(entries: list.count))
            case .failure(let problem):
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
                    state.snapshot = Snapshot(verifier: verifier, keyringGeneration: generation)
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
            return .failure(Problem(file: directory, line: nil, message: error.description))
        }
        // An empty keyring would refuse every token; keeping the last good keys is the safer reading of a half-done rotation.
        guard !keyring.isEmpty else { return .failure(Problem(file: directory, line: nil, message: "no public keys (NAME\(Keyring.publicKeySuffix))")) }
        return .success(keyring)
    }

    /// The list, nil when the file is absent and that is allowed, or the problem.
    private static func loadRevocations(_ path: String, required: Bool) -> Result<RevocationList?, Problem> {
        let bytes: [UInt8]?
        do {
            bytes = required ? try FileSystem.read(path) : try FileSystem.readIfPresent(path)
        } catch {
            return .failure(Problem(file: path, line: nil, message: error.description))
        }
        guard let bytes else { return .success(nil) }
        do {
            return .success(try RevocationList(parsing: bytes))
        } catch {
            return .failure(Problem(file: path, line: error.line, message: error.message))
        }
    }

    /// The stamps of the folder itself and of every public key file in it.
    private static func keyStamps(in directory: String) -> [String: FileStamp] {
        var stamps: [String: FileStamp] = [:]
        if let stamp = FileStamp(path: directory) { stamps["."] = stamp }
        if let names = try? FileSystem.contents(ofDirectory: directory) {
            for name in names where name.hasSuffix(Keyring.publicKeySuffix) && !name.hasPrefix(".") {
                if let stamp = FileStamp(path: FileSystem.join(directory, name)) { stamps[name] = stamp }
            }
        }
        return stamps
    }
}
