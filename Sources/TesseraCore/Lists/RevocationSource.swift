import Synchronization

/// Where a verifier reads its revocation list, and how: a hand-edited `revoked.txt`, a signed
/// `revoked.paseto` on disk, or the URL where `tessera build`'s output publishes one.
///
/// A signed list is verified with the verifier's keyring and refused when older than the newest
/// one already accepted, which `state/revocation-list.iat` remembers across runs. A list fetched
/// from a URL must be signed: whoever sits between the verifier and the host could otherwise
/// strike entries from it.
public enum RevocationSource: Sendable, Equatable, CustomStringConvertible {
    /// A file: `revoked.txt` or a signed `revoked.paseto`, told apart by their first bytes.
    case file(String)
    /// A published `revoked.paseto`, fetched over HTTP(S).
    case url(RemoteURL)

    /// Reads `--revoked`'s value: an `http(s)://` address or a file path.
    public init(parsing text: String) throws(Problem) {
        guard RemoteURL.looksLikeURL(text) else {
            guard !text.isEmpty, !text.utf8.contains(0) else { throw Problem(source: text, message: "names no file") }
            self = .file(text)
            return
        }
        guard let url = RemoteURL(text) else {
            throw Problem(source: text, message: "is not a valid http(s) address (no user name, spaces or fragments; a port from 1 to 65535)")
        }
        self = .url(url)
    }

    public var description: String {
        switch self {
        case .file(let path): return path
        case .url(let url): return url.description
        }
    }

    /// Why a list could not be used; `line` is set for a malformed line of a text list.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// What went wrong, for choosing the advice.
        public enum Kind: Sendable, Equatable {
            /// The file or address could not be read.
            case unreadable
            /// A line of a text list is malformed.
            case malformedLine
            /// A signed list is malformed, untrusted or a rollback, or an address served an unsigned one.
            case refused
        }

        public let source: String
        public let kind: Kind
        public let line: Int?
        public let message: String

        public init(source: String, kind: Kind = .unreadable, line: Int? = nil, message: String) {
            self.source = source
            self.kind = kind
            self.line = line
            self.message = message
        }

        public var description: String { line.map { "\(source):\($0): \(message)" } ?? "\(source): \(message)" }

        /// What to do about it, for the `hint:` line; the same advice from `check` and `serve`.
        public var advice: String {
            switch kind {
            case .malformedLine: return "fix or remove that line; '#' starts a comment"
            case .refused: return "use the current revoked.paseto published by 'tessera build', signed by a trusted key"
            case .unreadable:
                return RemoteURL.looksLikeURL(source)
                    ? "check the address, or pass a local copy with --revoked FILE; nothing is checked without the list"
                    : "check the --revoked path"
            }
        }
    }

    /// A list as read, with the signing time when it was signed.
    public struct Loaded: Sendable, Equatable {
        public let list: RevocationList
        /// The list's `iat`; nil for a text list.
        public let issuedAt: Timestamp?
        /// The list's `exp`; nil for a text list or a signed one without it.
        public let expiresAt: Timestamp?

        public init(list: RevocationList, issuedAt: Timestamp?, expiresAt: Timestamp? = nil) {
            self.list = list
            self.issuedAt = issuedAt
            self.expiresAt = expiresAt
        }
    }

    /// What a signed list is checked against besides the keyring: the clock, its leeway, and the list already in force.
    public struct Checks: Sendable {
        public var now: Timestamp
        public var leeway: Int64
        /// The list the verifier holds now: a new list signed by a key it revokes is refused.
        public var inForce: RevocationList?
        /// For a one-shot check of one token: the token's invitation id, asked only when a plain list is
        /// long (`RevocationList(parsing:onlyInvitation:)`); nil (the default) keeps every id.
        public var onlyInvitation: (@Sendable () -> String?)?

        public init(now: Timestamp = .now, leeway: Int64 = 60, inForce: RevocationList? = nil) {
            self.now = now
            self.leeway = leeway
            self.inForce = inForce
        }
    }

    /// The most bytes fetched from a URL: the largest signed list accepted, and a little room for a trailing newline.
    public static let maximumFetchBytes = SignedRevocationList.maximumLength + 2

    /// Reads the list and checks it.
    ///
    /// - Parameters:
    ///   - keyring: the keys a signed list must be signed by.
    ///   - memo: the file that remembers the newest signed list's `iat` (`state/revocation-list.iat`); nil keeps no memory.
    ///   - notOlderThan: a signing time the caller already holds (a running gateway's last list), refused if newer than the offered list.
    ///   - required: whether a missing file is an error; when not, it means an empty list (the site's default `revoked.txt`).
    public func load(keyring: Keyring, memo: String?, notOlderThan: Timestamp? = nil, required: Bool = true, checks: Checks = Checks()) async throws(Problem) -> Loaded {
        switch self {
        case .file(let path):
            return try Self.readFile(path, required: required, keyring: keyring, memo: memo, notOlderThan: notOlderThan, checks: checks)
        case .url(let url):
            guard let fetcher = Self.fetcher.withLock({ $0 }) else {
                throw Problem(source: url.description, message: "fetching a revocation list by URL is only available to tessera-verify")
            }
            let bytes: [UInt8]
            do {
                bytes = try await fetcher(url, Self.maximumFetchBytes)
            } catch {
                throw Problem(source: url.description, message: error.message)
            }
            return try Self.read(bytes, source: url.description, signedOnly: true, keyring: keyring, memo: memo, notOlderThan: notOlderThan, checks: checks)
        }
    }

    /// Reads a list file without suspending, for callers that watch a file; see `load`.
    ///
    /// A file named `*.paseto` must hold a signed list, and so must any file when `signedOnly` (a gateway whose list in
    /// force came signed from it), and any file a signed list was once accepted from with this `memo` (listed in
    /// `state/revocation-list.signed-files`, so a restart does not forget it): whoever feeds the file (a mirror, a cron
    /// job) could otherwise replace a signed list, its rollback and expiry checks included, with a plain one.
    public static func readFile(_ path: String, required: Bool, keyring: Keyring, memo: String?, notOlderThan: Timestamp?,
                                checks: Checks = Checks(), signedOnly: Bool = false) throws(Problem) -> Loaded {
        let bytes: [UInt8]?
        do {
            bytes = required ? try FileSystem.read(path, limit: maximumFetchBytes) : try FileSystem.readIfPresent(path, limit: maximumFetchBytes)
        } catch {
            throw Problem(source: path, message: error.description)
        }
        guard let bytes else { return Loaded(list: RevocationList(), issuedAt: nil) }
        let key = FileSystem.absolutePath(path)
        let signedFiles = memo.map(signedFilesMemo(besides:))
        let signedBefore = signedFiles.flatMap { ((try? FileSystem.readIfPresent($0, limit: 1 << 20)) ?? nil) }
            .map { String(decoding: $0, as: UTF8.self).split(separator: "\n").contains { $0 == key } } ?? false
        let loaded = try read(bytes, source: path, signedOnly: signedOnly || signedBefore || path.hasSuffix(".paseto"), keyring: keyring,
                              memo: memo, notOlderThan: notOlderThan, checks: checks)
        if loaded.issuedAt != nil, !signedBefore, let signedFiles, !key.contains("\n") {
            // Best effort, like the iat memo beside it.
            try? FileSystem.append(to: signedFiles, mode: 0o644) { existing in
                let lines = existing.map { String(decoding: $0, as: UTF8.self).split(separator: "\n") } ?? []
                guard !lines.contains(where: { $0 == key }) else { return nil }
                let separator = existing.map { $0.isEmpty || $0.last == UInt8(ascii: "\n") ? "" : "\n" } ?? ""
                return Array((separator + key + "\n").utf8)
            }
        }
        return loaded
    }

    /// The file beside the iat memo that lists the files a signed list was accepted from, one absolute path a line:
    /// `state/revocation-list.signed-files`. A plain list is refused at those paths; delete a line to go back to one.
    public static func signedFilesMemo(besides memo: String) -> String {
        FileSystem.join(FileSystem.directoryName(of: memo), "revocation-list.signed-files")
    }

    /// Parses a list in either form and applies the rollback rule.
    static func read(_ bytes: [UInt8], source: String, signedOnly: Bool, keyring: Keyring, memo: String?, notOlderThan: Timestamp?, checks: Checks = Checks()) throws(Problem) -> Loaded {
        guard bytes.starts(with: SignedToken.header.utf8) else {
            if signedOnly {
                throw Problem(source: source, kind: .refused, message: "not a signed revocation list (\(SignedToken.header)…); publish the revoked.paseto that 'tessera build' writes")
            }
            do {
                // Below 64 KiB (about 2,800 ids) the whole list costs less than finding the token's id.
                let only = bytes.count >= 64 << 10 ? checks.onlyInvitation?() : nil
                return Loaded(list: try RevocationList(parsing: bytes, onlyInvitation: only), issuedAt: nil)
            } catch {
                throw Problem(source: source, kind: .malformedLine, line: error.line, message: error.message)
            }
        }
        let remembered = memo.flatMap { path in
            ((try? FileSystem.readIfPresent(path, limit: 64)) ?? nil)
                .flatMap { Timestamp(rfc3339: String(decoding: $0, as: UTF8.self).trimmingASCIIWhitespace()) }
        }
        // A memo dated in the future (written before such lists were refused) would make every genuine list a "rollback": it is not believed.
        let believable = remembered.flatMap { $0 > checks.now.adding(seconds: checks.leeway) ? nil : $0 }
        let held = [believable, notOlderThan].compactMap { $0 }.max()
        // The signer keys that an accepted list revoked, remembered beside the iat: a restart (or `check`) never
        // forgets them, so a later list signed by a revoked key is refused even with a newer iat.
        let keysMemo = memo.map(revokedKeysMemo(besides:))
        let rememberedKeys = keysMemo.flatMap { path in
            ((try? FileSystem.readIfPresent(path, limit: SignedRevocationList.maximumLength)) ?? nil).flatMap { try? RevocationList(parsing: $0) }
        }?.keyIDs ?? []
        var inForce = checks.inForce
        if !rememberedKeys.isEmpty {
            var combined = inForce ?? RevocationList()
            for key in rememberedKeys { combined.insert(.key(key)) }
            inForce = combined
        }
        let signed: SignedRevocationList
        do {
            signed = try SignedRevocationList(verifying: bytes, keyring: keyring, notOlderThan: held,
                                              at: checks.now, leeway: checks.leeway, inForce: inForce)
        } catch {
            throw Problem(source: source, kind: .refused, message: error.description)
        }
        if let keysMemo, !signed.list.keyIDs.isSubset(of: rememberedKeys) {
            let all = rememberedKeys.union(signed.list.keyIDs).map { RevocationList.Entry.key($0).description }.sorted()
            let folder = FileSystem.directoryName(of: keysMemo)
            if FileSystem.isDirectory(folder) || (try? FileSystem.makeDirectory(folder, mode: 0o700)) != nil {
                try? FileSystem.writeAtomically(keysMemo, contents: Array((all.joined(separator: "\n") + "\n").utf8))
            }
        }
        if let memo, believable.map({ signed.issuedAt > $0 }) ?? true {
            // Best effort: a verifier that cannot write state/ still checks this list, it only cannot remember it.
            let folder = FileSystem.directoryName(of: memo)
            if FileSystem.isDirectory(folder) || (try? FileSystem.makeDirectory(folder, mode: 0o700)) != nil {
                try? FileSystem.writeAtomically(memo, contents: Array((signed.issuedAt.exactRFC3339 + "\n").utf8))
            }
        }
        return Loaded(list: signed.list, issuedAt: signed.issuedAt, expiresAt: signed.expiresAt)
    }

    /// The file beside the iat memo that remembers every signer key an accepted list revoked: `state/revocation-list.revoked-keys`.
    public static func revokedKeysMemo(besides memo: String) -> String {
        FileSystem.join(FileSystem.directoryName(of: memo), "revocation-list.revoked-keys")
    }

    /// The memo file of a site: `state/revocation-list.iat`.
    public static func memo(for site: SiteFolder) -> String { FileSystem.join(site.state, "revocation-list.iat") }

    // MARK: Fetching

    /// Why a fetch failed, in words for the operator.
    public struct FetchError: Error, Sendable, Equatable {
        public let message: String
        public init(_ message: String) { self.message = message }
    }

    /// Fetches at most `limit` bytes from an address; a program that links an HTTP client provides it.
    public typealias Fetcher = @Sendable (_ url: RemoteURL, _ limit: Int) async throws(FetchError) -> [UInt8]

    private static let fetcher = Mutex<Fetcher?>(nil)

    /// Makes URL sources readable in this process; `tessera-verify` calls it once at start-up.
    ///
    /// The core links no HTTP client, so without this call a URL source fails to load, closed.
    public static func registerFetcher(_ fetch: @escaping Fetcher) {
        fetcher.withLock { $0 = fetch }
    }
}
