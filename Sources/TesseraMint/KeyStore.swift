import TesseraCore

/// The signing keys of a site, as files in its `keys/` folder.
///
/// Each key NAME is two files: `NAME.secret.pem` (PKCS#8, mode 0600, created with `O_EXCL`)
/// and `NAME.public.pem` (SPKI), the only one verifiers read. The file `signing` names the
/// key that signs new invitations; every public key stays trusted until it is removed.
public struct KeyStore: Sendable {
    /// The keys folder.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The file-name ending of a secret key.
    public static let secretKeySuffix = KeyFolder.secretKeySuffix
    /// The file naming the key that signs.
    public static let signingFileName = "signing"
    /// The file-name ending of a delegation (DESIGN §11): the token a root key signed for a project admin's key.
    public static let delegationSuffix = KeyFolder.delegationSuffix

    /// A delegation file in the folder: one this site's root issued, or one a root issued for a key held here.
    ///
    /// Its signature is not checked here (the root key may not be in this folder); verifiers check it.
    public struct DelegationEntry: Sendable, Equatable {
        /// The file name without `.delegation`.
        public let name: String
        /// The delegation token as stored.
        public let token: String
        /// What it certifies.
        public let delegation: Delegation
        /// The root key id its footer names.
        public let signer: KeyID
    }

    /// A key known to the store.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let publicKey: PublicKey
        /// Whether the secret half is here too.
        public let hasSecret: Bool
        /// Whether it signs new invitations.
        public let isSigning: Bool
    }

    /// Why the store could not do what was asked.
    public enum Error: Swift.Error, Equatable, Sendable {
        /// A file could not be read or written.
        case file(FileError)
        /// No secret key to sign with.
        case noSigningKey
        /// Several secret keys and no `signing` file choosing one.
        case ambiguousSigningKey([String])
        /// The key named does not exist.
        case unknownKey(String)
        /// A secret key file that group or others may read.
        case unsafePermissions(path: String, mode: UInt32)
        /// A key file whose contents are not a key.
        case invalidKeyFile(path: String, why: String)
        /// The name is taken or invalid.
        case badName(String, why: String)
        /// The secret key's public half does not match its seed.
        case publicKeyMismatch(path: String)
        /// A secret key without its `NAME.public.pem` (left by an interrupted key creation, or a removed public file).
        case missingPublicKey(secret: String, public: String)
    }

    public func secretPath(_ name: String) -> String { FileSystem.join(directory, name + Self.secretKeySuffix) }
    public func publicPath(_ name: String) -> String { FileSystem.join(directory, name + Keyring.publicKeySuffix) }

    /// Every key in the folder, by name.
    public func entries() throws(Error) -> [Entry] {
        guard FileSystem.isDirectory(directory) else { return [] }
        let names: [String]
        do { names = try FileSystem.contents(ofDirectory: directory) } catch { throw .file(error) }
        let signing = try signingName()
        var result: [Entry] = []
        // File names are read as key names with the one check of KeyFolder: the others are skipped, as by every verifier.
        for name in KeyFolder.names(in: names, suffix: Keyring.publicKeySuffix) {
            let path = publicPath(name)
            let text: [UInt8]
            do { text = try FileSystem.read(path, limit: 64 << 10) } catch { throw .file(error) }
            let key: PublicKey
            do {
                key = try PublicKey(pem: String(decoding: text, as: UTF8.self))
            } catch {
                throw .invalidKeyFile(path: path, why: error.explanation(expecting: "PUBLIC KEY"))
            }
            result.append(Entry(name: name, publicKey: key, hasSecret: names.contains(name + Self.secretKeySuffix), isSigning: name == signing))
        }
        return result
    }

    /// The key that signs: `name` if given, else the one the `signing` file names, else the only secret key.
    public func signingKey(named name: String? = nil) throws(Error) -> (name: String, key: SigningKey) {
        let chosen: String
        if let name {
            guard Name.isValidKeyName(name) else { throw .badName(name, why: "not a key name: use 1-64 of A-Z a-z 0-9 . _ - (a name, not a path)") }
            chosen = name
        } else if let named = try signingName() {
            chosen = named
        } else {
            let secrets = try entries().filter(\.hasSecret).map(\.name)
            guard let only = secrets.first else { throw .noSigningKey }
            guard secrets.count == 1 else { throw .ambiguousSigningKey(secrets) }
            chosen = only
        }
        return (chosen, try readSecret(chosen))
    }

    /// Reads a secret key, refusing a file that group or others can read, as ssh does.
    public func readSecret(_ name: String) throws(Error) -> SigningKey {
        guard Name.isValidKeyName(name) else { throw .badName(name, why: "not a key name: use 1-64 of A-Z a-z 0-9 . _ - (a name, not a path)") }
        let path = secretPath(name)
        guard FileSystem.exists(path) else { throw .unknownKey(name) }
        if let mode = FileSystem.permissions(of: path), mode & 0o077 != 0 {
            throw .unsafePermissions(path: path, mode: UInt32(mode))
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(path, limit: 64 << 10) } catch { throw .file(error) }
        let text = String(decoding: bytes, as: UTF8.self)
        let key: SigningKey
        do {
            key = try SigningKey(pem: text)
        } catch .publicKeyMismatch {
            throw .publicKeyMismatch(path: path)
        } catch {
            throw .invalidKeyFile(path: path, why: Self.problem(inSecretKey: text))
        }
        // A secret beside another key's public file, or beside none, would sign invitations that
        // no verifier given the keys folder accepts.
        let published = publicPath(name)
        guard let text = try? FileSystem.readIfPresent(published, limit: 64 << 10) else {
            throw .missingPublicKey(secret: path, public: published)
        }
        if let other = try? PublicKey(pem: String(decoding: text, as: UTF8.self)), other != key.publicKey {
            throw .invalidKeyFile(path: path, why: "its public half is not the key in \(published) (\(other.id)); invitations it signs would not verify")
        }
        return key
    }

    /// Why the text of a secret key file holds no usable key, naming what it holds instead.
    private static func problem(inSecretKey text: String) -> String {
        let label: String
        do { label = try PEM.decode(text).label } catch { return error.explanation(expecting: "PRIVATE KEY") }
        guard label == "PRIVATE KEY" else { return PEM.Error.unexpectedLabel(label).explanation(expecting: "PRIVATE KEY") }
        return PEM.Error.notEd25519.explanation(expecting: "PRIVATE KEY") + "; expected PKCS#8 as 'openssl genpkey -algorithm ed25519' writes"
    }

    /// Stores a secret key under `name` (0600) with its public half and makes it the signing key if `makeSigning`.
    ///
    /// Both files are written in full under hidden temporary names, then published by hard links,
    /// which fail when the name is taken (as `O_EXCL` does): the public half first, then the
    /// secret. A `kill -9` at any point leaves nothing, a public key alone (trusted, signing
    /// nothing), or both; never a secret without its public half, which would sign invitations
    /// no verifier accepts. Temporary files an interrupted run left are removed first (the
    /// caller holds the keys folder's lock, so they are no running command's).
    public func store(_ key: SigningKey, name: String, makeSigning: Bool) throws(Error) {
        try checkNewName(name)
        do throws(FileError) {
            try FileSystem.makeDirectory(directory, mode: 0o700)
            try removeLeftovers()
            let publicFile = try FileSystem.createTemporary(beside: publicPath(name), contents: Array(key.publicKey.pemRepresentation.utf8), mode: 0o644)
            defer { try? FileSystem.remove(publicFile) }
            let secretFile = try FileSystem.createTemporary(beside: secretPath(name), contents: Array(key.pemRepresentation.utf8), mode: 0o600)
            defer { try? FileSystem.remove(secretFile) }
            try FileSystem.link(publicFile, to: publicPath(name))
            do {
                try FileSystem.link(secretFile, to: secretPath(name))
            } catch {
                try? FileSystem.remove(publicPath(name))
                throw error
            }
        } catch {
            throw .file(error)
        }
        if makeSigning { try setSigning(name) }
    }

    /// Whether `file` is a temporary key file of `store(_:name:makeSigning:)`.
    static func isLeftover(_ file: String) -> Bool {
        file.hasPrefix(".") && (file.contains(Self.secretKeySuffix + ".tmp-") || file.contains(Keyring.publicKeySuffix + ".tmp-"))
    }

    private func removeLeftovers() throws(FileError) {
        for file in try FileSystem.contents(ofDirectory: directory) where Self.isLeftover(file) {
            try FileSystem.remove(FileSystem.join(directory, file))
        }
    }

    /// Stores a public key only: one more key verifiers trust.
    public func store(_ key: PublicKey, name: String) throws(Error) {
        try checkNewName(name)
        do {
            try FileSystem.makeDirectory(directory, mode: 0o700)
            try FileSystem.createExclusive(publicPath(name), contents: Array(key.pemRepresentation.utf8), mode: 0o644)
        } catch {
            throw .file(error)
        }
    }

    /// Makes `name` the key that signs new invitations.
    public func setSigning(_ name: String) throws(Error) {
        guard Name.isValidKeyName(name) else { throw .badName(name, why: "not a key name: use 1-64 of A-Z a-z 0-9 . _ - (a name, not a path)") }
        guard FileSystem.exists(secretPath(name)) else { throw .unknownKey(name) }
        do {
            try FileSystem.writeAtomically(FileSystem.join(directory, Self.signingFileName), contents: Array((name + "\n").utf8), mode: 0o644)
        } catch {
            throw .file(error)
        }
    }

    public func delegationPath(_ name: String) -> String { FileSystem.join(directory, name + Self.delegationSuffix) }

    /// Every `NAME.delegation` in the folder, read with the token format rules (not the root signature).
    public func delegations() throws(Error) -> [DelegationEntry] {
        guard FileSystem.isDirectory(directory) else { return [] }
        let names: [String]
        do { names = try FileSystem.contents(ofDirectory: directory) } catch { throw .file(error) }
        var result: [DelegationEntry] = []
        for name in KeyFolder.names(in: names.sorted(), suffix: Self.delegationSuffix) {
            let path = delegationPath(name)
            let bytes: [UInt8]
            do { bytes = try FileSystem.read(path, limit: 64 << 10) } catch { throw .file(error) }
            let token = String(decoding: bytes, as: UTF8.self).trimmingASCIIWhitespace()
            do {
                let (delegation, signer) = try Verifier.unverifiedDelegation(token)
                result.append(DelegationEntry(name: name, token: token, delegation: delegation, signer: signer))
            } catch {
                throw .invalidKeyFile(path: path, why: error.detail)
            }
        }
        return result
    }

    /// The delegations in the folder that certify `key`: a key with any is a delegated key, never a root.
    public func delegations(certifying key: PublicKey) throws(Error) -> [DelegationEntry] {
        try delegations().filter { $0.delegation.key == key }
    }

    /// Stores a delegation token as `NAME.delegation`, replacing one of that name only if it certifies the same key (a renewal).
    public func store(delegation token: String, certifying key: KeyID, name: String) throws(Error) {
        guard Name.isValidProjectOrRole(name) else { throw .badName(name, why: "use 1-64 of A-Z a-z 0-9 . _ -") }
        let path = delegationPath(name)
        if let existing = try delegations().first(where: { $0.name == name }), existing.delegation.key.id != key {
            throw .badName(name, why: "a delegation with this name already certifies another key (\(existing.delegation.key.id))")
        }
        do {
            try FileSystem.makeDirectory(directory, mode: 0o700)
            try FileSystem.writeAtomically(path, contents: Array((token + "\n").utf8), mode: 0o644)
        } catch {
            throw .file(error)
        }
    }

    /// The public keys of this folder that are roots: every key but those a delegation here certifies.
    public func rootKeyring(_ keyring: Keyring) throws(Error) -> Keyring {
        let delegated = Set(try delegations().map(\.delegation.key.id))
        return Keyring(keyring.keys.values.filter { !delegated.contains($0.id) })
    }

    /// A name for a new key: `main` for the first, else `key-YYYY-MM-DD` with a counter if needed.
    public func suggestedName(at now: Timestamp) -> String {
        if !FileSystem.exists(publicPath("main")) && !FileSystem.exists(secretPath("main")) { return "main" }
        let base = "key-" + now.rfc3339.prefix(10)
        var candidate = base
        var counter = 2
        while FileSystem.exists(publicPath(candidate)) || FileSystem.exists(secretPath(candidate)) {
            candidate = "\(base)-\(counter)"
            counter += 1
        }
        return candidate
    }

    private func signingName() throws(Error) -> String? {
        let path = FileSystem.join(directory, Self.signingFileName)
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readIfPresent(path, limit: 1024) } catch { throw .file(error) }
        guard let bytes else { return nil }
        let name = String(decoding: bytes, as: UTF8.self).trimmingASCIIWhitespace()
        guard Name.isValidKeyName(name) else { throw .invalidKeyFile(path: path, why: "does not hold a key name") }
        return name
    }

    private func checkNewName(_ name: String) throws(Error) {
        guard Name.isValidKeyName(name) else { throw .badName(name, why: "use 1-64 of A-Z a-z 0-9 . _ -") }
        if FileSystem.exists(secretPath(name)) || FileSystem.exists(publicPath(name)) {
            throw .badName(name, why: "a key with this name already exists")
        }
    }
}
