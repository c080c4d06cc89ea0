/// The public keys a verifier trusts, looked up by the `kid` in a token's footer.
///
/// Several keys may be trusted at once so that a signing key can be rotated without
/// invalidating invitations already handed out.
public struct Keyring: Sendable, Equatable {
    /// The trusted keys by id.
    public private(set) var keys: [KeyID: PublicKey]

    /// A keyring holding `keys`.
    public init(_ keys: [PublicKey] = []) {
        self.keys = Dictionary(keys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The key with this id, or nil: an unknown id fails closed.
    public subscript(id: KeyID) -> PublicKey? { keys[id] }

    /// Trusts one more key.
    public mutating func insert(_ key: PublicKey) { keys[key.id] = key }

    /// Whether no key is trusted.
    public var isEmpty: Bool { keys.isEmpty }

    /// The file-name ending of a public key in a keys folder.
    public static let publicKeySuffix = KeyFolder.publicKeySuffix

    /// Why a keys folder could not be loaded.
    public enum LoadError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The folder or a file in it could not be read.
        case unreadable(FileError)
        /// A `*.public.pem` file holds no Ed25519 public key.
        case invalidKey(path: String, PEM.Error)
        /// The folder or a key file in it is writable by anyone: any local user could make a key of theirs trusted.
        case writableByAnyone(path: String, mode: UInt32)

        public var description: String {
            switch self {
            case .unreadable(let error): return error.description
            case .invalidKey(let path, let error): return "\(path): \(error.explanation(expecting: "PUBLIC KEY"))"
            case .writableByAnyone(let path, let mode):
                return "\(path) is writable by anyone (mode \(String(mode, radix: 8))), so any local user could make a key of theirs trusted: run chmod o-w \(path)"
            }
        }

        /// The hint for a keys folder that cannot be read or holds no usable key.
        public static let whereKeysAre = "point --keys or --site at a folder holding NAME.public.pem files"

        /// What to do about it, for the line under the error.
        public var hint: String {
            guard case .writableByAnyone = self else { return Self.whereKeysAre }
            return "every key in the folder is trusted: only the keys' owner (or a deploy group) may write the keys folder and its keys, and the folders above it (there a sticky one like /tmp is fine)"
        }
    }

    /// Loads every `NAME.public.pem` in a folder whose NAME is a key name (see `KeyFolder`); only
    /// public keys are ever read, and a file whose name is not a key name is skipped, not trusted.
    ///
    /// A folder or key file that anyone may write is refused (`writableByAnyone`) unless `allowingWritableByAnyone`: a
    /// verifier's trust must not be open to every local user. The generator's own reads pass it, because a site shared
    /// by several users may be writable by all (see `SharedSiteTests`), which is its owners' choice.
    public static func load(directory: String, allowingWritableByAnyone: Bool = false) throws(LoadError) -> Keyring {
        if !allowingWritableByAnyone { try refuseWritableByAnyone(folder: directory) }
        var keyring = Keyring()
        let resolvedDirectory = allowingWritableByAnyone ? nil : FileSystem.realPath(directory)
        let names: [String]
        do {
            names = try FileSystem.contents(ofDirectory: directory)
        } catch {
            throw .unreadable(error)
        }
        for name in KeyFolder.names(in: names, suffix: publicKeySuffix) {
            let path = FileSystem.join(directory, name + publicKeySuffix)
            if !allowingWritableByAnyone {
                try refuseWritableByAnyone(path)
                // A key file linked from elsewhere: the folders above its target count too.
                if let real = FileSystem.realPath(path), FileSystem.directoryName(of: real) != resolvedDirectory {
                    try refuseOpenAncestors(of: real)
                }
            }
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.read(path, limit: 64 << 10)
            } catch {
                throw .unreadable(error)
            }
            do {
                keyring.insert(try PublicKey(pem: String(decoding: bytes, as: UTF8.self)))
            } catch {
                throw .invalidKey(path: path, error)
            }
        }
        return keyring
    }

    /// Trust comes from who can write the keys: a folder or key file that others may write (a sticky `/tmp`-like
    /// folder included, where anyone may still add a file) is refused, not read. Modes of the targets, as links are followed.
    private static func refuseWritableByAnyone(_ path: String) throws(LoadError) {
        // A read-only mount (a Kubernetes secret volume is a 1777 tmpfs mounted read-only) cannot be written at all.
        if let mode = FileSystem.permissions(of: path), mode & 0o002 != 0, !FileSystem.isOnReadOnlyMount(path) {
            throw .writableByAnyone(path: path, mode: UInt32(mode))
        }
    }

    /// The keys folder itself (no one else may add a key to it, sticky or not), and every folder above it, as written
    /// and as resolved: one that anyone may write lets anyone rename the keys folder (or a link to it) away and put
    /// their own in its place, unless it is sticky like `/tmp`, where only an entry's owner may rename it.
    /// Not checked: owners, group write (a deploy group), ACLs.
    private static func refuseWritableByAnyone(folder directory: String) throws(LoadError) {
        try refuseWritableByAnyone(directory)
        for path in [FileSystem.absolutePath(directory), FileSystem.realPath(directory)].compactMap({ $0 }) {
            try refuseOpenAncestors(of: path)
        }
    }

    /// Refuses the first folder above `path` that anyone may write and that is not sticky.
    private static func refuseOpenAncestors(of path: String) throws(LoadError) {
        var current = FileSystem.directoryName(of: path)
        while true {
            if let mode = FileSystem.permissions(of: current), mode & 0o002 != 0, mode & 0o1000 == 0, !FileSystem.isOnReadOnlyMount(current) {
                throw .writableByAnyone(path: current, mode: UInt32(mode))
            }
            if current == "/" || current == "." { return }
            current = FileSystem.directoryName(of: current)
        }
    }
}
