import ArgumentParser
import TesseraCLI
import TesseraCore
import TesseraMint

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, export, import and delegate signing keys.",
        discussion: """
        Keys live in keys/ as NAME.secret.pem (mode 0600) and NAME.public.pem. Verifiers trust \
        every NAME.public.pem, so a new key can take over signing while invitations signed by \
        the old one keep working until its public file is removed. 'keys delegate' certifies a \
        project admin's key for named projects and roles (NAME.delegation); 'keys import \
        NAME.delegation' makes the project admin's site mint under it.
        """,
        subcommands: [New.self, List.self, Export.self, Import.self, Use.self, Delegate.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new Ed25519 key and make it the signing key.")

        @OptionGroup var siteOptions: SiteOptions

        @Option(help: ArgumentHelp("The key's name (default: main, or key-YYYY-MM-DD).", valueName: "name"))
        var name: String?

        @Flag(name: .customLong("no-sign"), help: "Keep the current signing key; only add this one.")
        var keepSigning = false

        func run() throws {
            let lock = try siteOptions.lockForWriting(keys: true)
            defer { lock.release() }
            let store = KeyStore(directory: siteOptions.folder.keys)
            let name = name ?? store.suggestedName(at: .now)
            let key = SigningKey()
            try store.run { store throws(KeyStore.Error) in try store.store(key, name: name, makeSigning: !keepSigning) }
            Terminal.line("created key \(name) (\(key.publicKey.id))")
            Terminal.line("  secret: \(store.secretPath(name)) (mode 0600: keep it secret)")
            Terminal.line("  public: \(store.publicPath(name))")
            if !keepSigning { Terminal.line("new invitations are signed with \(name)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys and which one signs.")

        @OptionGroup var siteOptions: SiteOptions

        @Flag(help: "Print one JSON object per key.")
        var json = false

        func run() throws {
            let store = KeyStore(directory: siteOptions.folder.keys)
            let entries = try store.run { store throws(KeyStore.Error) in try store.entries() }
            let delegations = try store.run { store throws(KeyStore.Error) in try store.delegations() }
            let revocations = ((try? siteOptions.revocationFile()) ?? nil)?.list ?? RevocationList()
            defer { listDelegations(delegations, keys: entries, revocations: revocations) }
            if entries.isEmpty && delegations.isEmpty && !json {
                Terminal.note("\(Terminal.prefix): no keys in \(store.directory)")
                Terminal.note("\(Terminal.prefix): hint: 'tessera keys new' creates one; so does the first 'tessera mint'")
            }
            for entry in entries {
                if json {
                    let object = JSONValue.object([
                        ("name", .string(entry.name)), ("kid", .string(entry.publicKey.id.rawValue)),
                        ("public", .string(entry.publicKey.paserk)), ("secret", .bool(entry.hasSecret)), ("signing", .bool(entry.isSigning)),
                    ])
                    Terminal.line(String(decoding: object.serialized(), as: UTF8.self))
                } else {
                    let kind = entry.hasSecret ? "secret+public" : "public only  "
                    let delegated = delegations.contains { $0.delegation.key == entry.publicKey } ? "  delegated" : ""
                    Terminal.line("\(entry.isSigning ? "*" : " ") \(entry.name)  \(entry.publicKey.id)  \(kind)\(delegated)")
                }
            }
        }

        /// One line (or JSON object) per delegation: scope, limits, expiry, signer, and whether it is revoked or expired.
        private func listDelegations(_ delegations: [KeyStore.DelegationEntry], keys: [KeyStore.Entry], revocations: RevocationList) {
            let now = Timestamp.now
            if !delegations.isEmpty && !json { Terminal.line("delegations:") }
            for entry in delegations {
                let delegation = entry.delegation
                let held = keys.first { $0.publicKey == delegation.key }
                let root = keys.first { $0.publicKey.id == entry.signer }
                let revokedBy = [delegation.key.id, entry.signer].first { revocations.keyIDs.contains($0) }
                let status = revokedBy != nil ? "revoked" : delegation.expiresAt <= now ? "expired" : "active"
                if json {
                    var members: [(key: String, value: JSONValue)] = [
                        ("delegation", .string(entry.name)), ("kid", .string(delegation.key.id.rawValue)),
                        ("key", held.map { .string($0.name) } ?? .null),
                        ("projects", .array(delegation.projects.map(JSONValue.string))), ("roles", .array(delegation.roles.map(JSONValue.string))),
                        ("max_expiry", delegation.maximumExpiry.map { .number(String($0)) } ?? .null),
                        ("max_uses", delegation.maximumUses.map { .number(String($0)) } ?? .null),
                        ("expires", .string(delegation.expiresAt.rfc3339)), ("signer", .string(entry.signer.rawValue)),
                        ("status", .string(status)),
                    ]
                    if let revokedBy { members.append(("revoked_by", .string("key:" + revokedBy.rawValue))) }
                    Terminal.line(String(decoding: JSONValue.object(members).serialized(), as: UTF8.self))
                } else {
                    let whose = held.map { "key \($0.name)" } ?? "issued here"
                    var line = "  \(entry.name)  \(delegation.key.id)  (\(whose))  \(delegation.scopeDescription)"
                    line += "  expires \(delegation.expiresAt.rfc3339)  signed by \(root.map { "\($0.name) (\(entry.signer))" } ?? entry.signer.rawValue)"
                    line += revokedBy.map { "  REVOKED (key:\($0))" } ?? (status == "expired" ? "  EXPIRED" : "")
                    Terminal.line(line)
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a key as PASERK or PEM (the public key unless --secret).")

        enum Format: String, ExpressibleByArgument, CaseIterable { case paserk, pem }

        @OptionGroup var siteOptions: SiteOptions

        @Option(help: ArgumentHelp("The key (default: the signing key).", valueName: "name"))
        var name: String?

        @Option(help: "paserk (k4.public / k4.secret) or pem.")
        var format: Format = .paserk

        @Flag(help: "Print the SECRET key. Anyone who sees it can mint invitations.")
        var secret = false

        func run() throws {
            let store = KeyStore(directory: siteOptions.folder.keys)
            if secret {
                let key = try store.run { store throws(KeyStore.Error) in try store.signingKey(named: name).key }
                Terminal.write(format == .paserk ? key.paserk + "\n" : key.pemRepresentation)
                return
            }
            let entries = try store.run { store throws(KeyStore.Error) in try store.entries() }
            let chosen: KeyStore.Entry?
            if let name {
                chosen = entries.first { $0.name == name }
            } else {
                chosen = entries.first(where: \.isSigning) ?? (entries.count == 1 ? entries.first : nil)
            }
            guard let entry = chosen else {
                throw CommandLineError(name.map { "no key named \($0)" } ?? "no signing key to export", hint: "'tessera keys list' shows the keys; pass --name NAME")
            }
            Terminal.write(format == .paserk ? entry.publicKey.paserk + "\n" : entry.publicKey.pemRepresentation)
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a key from a PEM or PASERK file, or a delegation ('-' reads standard input).",
            discussion: "Accepts PKCS#8 Ed25519 'PRIVATE KEY' PEM (e.g. from 'openssl genpkey -algorithm ed25519'), SPKI 'PUBLIC KEY' PEM, k4.secret and k4.public. A NAME.delegation file from 'tessera keys delegate' is stored in keys/ and makes the key it certifies the signing key."
        )

        @OptionGroup var siteOptions: SiteOptions

        @Argument(help: ArgumentHelp("The key file, or '-'.", valueName: "file"))
        var file: String

        @Option(help: ArgumentHelp("The name to store it under (default: main, or key-YYYY-MM-DD).", valueName: "name"))
        var name: String?

        @Flag(help: "Make an imported secret key the signing key.")
        var sign = false

        func run() throws {
            let bytes: [UInt8]
            // The permission bits of the file read, to warn when a secret came from one others could read.
            var sourceMode: UInt32?
            if file == "-" {
                guard let input = Terminal.readStandardInput(limit: 64 << 10) else { throw CommandLineError("standard input is too large for a key") }
                bytes = input
            } else {
                do { bytes = try FileSystem.read(file, limit: 64 << 10) } catch { throw CommandLineError(error.description) }
                sourceMode = FileSystem.permissions(of: file).map { UInt32($0) }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let lock = try siteOptions.lockForWriting(keys: true)
            defer { lock.release() }
            let store = KeyStore(directory: siteOptions.folder.keys)
            if text.trimmingASCIIWhitespace().hasPrefix(SignedToken.header) {
                try importDelegation(text.trimmingASCIIWhitespace(), store: store)
                return
            }
            let name = name ?? store.suggestedName(at: .now)
            if text.contains("-----BEGIN ") {
                let label: String
                do {
                    label = try PEM.decode(text).label
                } catch .noArmor {
                    throw CommandLineError("\(file): holds a PEM block without its matching -----END …----- line")
                } catch {
                    throw CommandLineError("\(file): \(error.explanation(expecting: "PUBLIC KEY"))")
                }
                switch label {
                case "PRIVATE KEY": try importSecret(Result { () throws(SigningKey.ImportError) in try SigningKey(pem: text) }, store: store, name: name, sourceMode: sourceMode)
                case "PUBLIC KEY": try importPublic(try? PublicKey(pem: text), store: store, name: name)
                default:
                    throw CommandLineError("\(file): holds a \"\(label)\" PEM block", hint: "expected a PKCS#8 PRIVATE KEY or an SPKI PUBLIC KEY holding an Ed25519 key")
                }
                return
            }
            // A PASERK file is the key alone: anything after it (a second key, say) would otherwise be dropped unseen.
            let paserk = (text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text).trimmingASCIIWhitespace()
            guard !paserk.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
                throw CommandLineError("\(file): holds more than one key or word", hint: "a PASERK file holds one k4.secret or k4.public and nothing else")
            }
            if paserk.hasPrefix(PASERK.secretPrefix) {
                try importSecret(Result { () throws(SigningKey.ImportError) in try SigningKey(paserk: paserk) }, store: store, name: name, sourceMode: sourceMode)
            } else if paserk.hasPrefix(PASERK.publicPrefix) {
                try importPublic(PublicKey(paserk: paserk), store: store, name: name)
            } else if let kind = Self.paserkType(of: paserk) {
                throw CommandLineError("\(file): a \(kind) PASERK is not an Ed25519 key for v4.public tokens", hint: "import a k4.secret or k4.public")
            } else {
                throw CommandLineError("\(file): no key found", hint: "expected a PEM file or a k4.secret / k4.public PASERK")
            }
        }

        /// Reads a secret key with the errors `run` reports; the key itself is never part of a message.
        private func importSecret(_ read: Result<SigningKey, SigningKey.ImportError>, store: KeyStore, name: String, sourceMode: UInt32?) throws {
            let key: SigningKey
            do {
                key = try read.get()
            } catch .publicKeyMismatch {
                throw CommandLineError("\(file): the public half of this secret key does not match its seed; refusing it", hint: "signing with such a key can leak it; export the key again from its source")
            } catch {
                throw CommandLineError("\(file): not an Ed25519 secret key (PKCS#8 PEM or k4.secret)")
            }
            let hadSecret = try store.run { store throws(KeyStore.Error) in try store.entries() }.contains(where: \.hasSecret)
            let makeSigning = sign || !hadSecret
            try store.run { store throws(KeyStore.Error) in try store.store(key, name: name, makeSigning: makeSigning) }
            if let mode = sourceMode, mode & 0o077 != 0 {
                Terminal.note("\(Terminal.prefix): warning: \(file) is readable by group or others (mode \(String(mode, radix: 8))): others may have read this secret key")
                Terminal.note("\(Terminal.prefix): hint: delete that copy (the key is now in \(store.secretPath(name)), mode 0600), or rotate the key if it may have leaked")
            }
            Terminal.line("imported secret key \(name) (\(key.publicKey.id))\(makeSigning ? "; it signs new invitations" : "")")
        }

        /// Stores a delegation for a key of this site and makes that key the signing key: from then on `mint` signs under it.
        private func importDelegation(_ token: String, store: KeyStore) throws {
            let read: (delegation: Delegation, signer: KeyID)
            do {
                read = try Verifier.unverifiedDelegation(token)
            } catch {
                throw CommandLineError("\(file): not a delegation: \(error.detail)")
            }
            let (delegation, signer) = read
            let entries = try store.run { store throws(KeyStore.Error) in try store.entries() }
            guard let key = entries.first(where: { $0.publicKey == delegation.key && $0.hasSecret }) else {
                throw CommandLineError("\(file): delegation \(delegation.name) certifies \(delegation.key.id), which is not a secret key of this site",
                                       hint: "import it in the site whose 'tessera keys export' gave the server admin that key")
            }
            // The root key is usually not here; when it is, a bad signature is caught now rather than by every verifier.
            if let keyring = try? Keyring.load(directory: store.directory, allowingWritableByAnyone: true), keyring[signer] != nil {
                do {
                    _ = try Verifier(keyring: keyring, delegationCache: nil).verifyDelegation(Array(token.utf8))
                } catch {
                    throw CommandLineError("\(file): \(error.detail)")
                }
            }
            let name = name ?? delegation.name
            try store.run { store throws(KeyStore.Error) in
                try store.store(delegation: token, certifying: delegation.key.id, name: name)
                try store.setSigning(key.name)
            }
            Terminal.line("imported delegation \(name): key \(key.name) (\(delegation.key.id)) may invite to \(delegation.scopeDescription), until \(delegation.expiresAt.rfc3339), signed by \(signer)")
            Terminal.line("new invitations are signed with \(key.name) under delegation \(name)")
            if delegation.expiresAt <= .now {
                Terminal.note("\(Terminal.prefix): warning: delegation \(name) expired at \(delegation.expiresAt.rfc3339); 'tessera mint' refuses to sign under it")
            }
        }

        private func importPublic(_ parsed: PublicKey?, store: KeyStore, name: String) throws {
            guard let key = parsed else { throw CommandLineError("\(file): not an Ed25519 public key (SPKI PEM or k4.public)") }
            // Every public key in keys/ is a root for this site's verifiers: a key this site delegated
            // would then sign anything, without the delegation's limits (and keys.json would not say so).
            if let delegated = try store.run({ store throws(KeyStore.Error) in try store.delegations(certifying: key) }).first {
                throw CommandLineError("\(file): \(key.id) is the key of delegation \(delegated.name), limited to \(delegated.delegation.scopeDescription); imported as a public key it would be trusted without limits",
                                       hint: "its invitations already verify through the delegation they carry: nothing needs importing")
            }
            try store.run { store throws(KeyStore.Error) in try store.store(key, name: name) }
            Terminal.line("imported public key \(name) (\(key.id)): invitations it signed are now trusted")
        }

        /// The `kN.type` of text shaped like a PASERK (`k3.public.…`, `k4.local.…`), to name what was given instead.
        private static func paserkType(of text: String) -> String? {
            let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 2, parts[0].first == "k", parts[0].last?.isNumber == true,
                  (1...12).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "-") })
            else { return nil }
            return "\(parts[0]).\(parts[1])"
        }
    }

    struct Use: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a key the one that signs new invitations.")

        @OptionGroup var siteOptions: SiteOptions

        @Argument(help: ArgumentHelp("The key's name.", valueName: "name"))
        var name: String

        func run() throws {
            let lock = try siteOptions.lockForWriting(keys: true)
            defer { lock.release() }
            let store = KeyStore(directory: siteOptions.folder.keys)
            try store.run { store throws(KeyStore.Error) in _ = try store.readSecret(name); try store.setSigning(name) }
            Terminal.line("new invitations are signed with \(name)")
        }
    }
}

extension Keys {
    struct Delegate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Certify a project admin's public key for named projects and roles (writes keys/NAME.delegation).",
            discussion: """
            Signed with the site's signing key, which must be a root key (trusted by verifiers through \
            keys/*.public.pem or keys.json). Send keys/NAME.delegation to the project admin, who runs \
            'tessera keys import NAME.delegation'. Their invitations then verify wherever this root key \
            is trusted, for these projects and roles only. 'tessera revoke --key NAME' ends them all.
            """
        )

        @OptionGroup var siteOptions: SiteOptions

        @Option(help: ArgumentHelp("The project admin's public key: k4.public.…, or a file holding it (PASERK or PEM).", valueName: "key"))
        var key: String

        @Option(help: ArgumentHelp("A project it may invite to (repeat for several).", valueName: "project"))
        var project: [String] = []

        @Option(help: ArgumentHelp("A role it may grant (repeat for several).", valueName: "role"))
        var role: [String] = []

        @Option(help: ArgumentHelp("When the delegation ends: a span (90d) or an RFC 3339 time (default: 90d).", valueName: "when"))
        var expires: String = "90d"

        @Option(help: ArgumentHelp("The delegation's name, used by 'revoke --key' and 'keys list' (default: delegated-<date>).", valueName: "name"))
        var name: String?

        @Option(name: .customLong("max-expiry"), help: ArgumentHelp("The longest expiry of an invitation minted under it (a span such as 30d).", valueName: "span"))
        var maxExpiry: String?

        @Option(name: .customLong("max-uses"), help: ArgumentHelp("The most uses of an invitation minted under it.", valueName: "n"))
        var maxUses: Int?

        @Option(name: .customLong("signer"), help: ArgumentHelp("Sign with this root key instead of the signing key.", valueName: "name"))
        var signer: String?

        func run() throws {
            let now = Timestamp.now
            let site = siteOptions.folder
            // Like every command that writes keys/: the name check and the write happen under the lock.
            let lock = try siteOptions.lockForWriting(keys: true)
            defer { lock.release() }
            let store = KeyStore(directory: site.keys)
            let delegated = try Self.readPublicKey(key)
            guard !project.isEmpty else { throw CommandLineError("missing --project", hint: "name each project it may invite to: --project lab [--project …]") }
            guard !role.isEmpty else { throw CommandLineError("missing --role", hint: "name each role it may grant: --role viewer [--role …]") }
            var projects: [String] = [], roles: [String] = []
            for name in project where !projects.contains(name) { projects.append(try OptionValue.name(name, flag: "--project")) }
            for name in role where !roles.contains(name) { roles.append(try OptionValue.name(name, flag: "--role")) }
            guard projects.count <= Delegation.maximumNames, roles.count <= Delegation.maximumNames else {
                throw CommandLineError("a delegation names at most \(Delegation.maximumNames) projects and \(Delegation.maximumNames) roles")
            }
            let settings = try siteOptions.settings()
            if let allowed = settings.roles, let other = roles.first(where: { !allowed.contains($0) }) {
                throw CommandLineError("--role: \(other) is not one of the roles in \(site.settings): \(allowed.joined(separator: ", "))", hint: "use one of them, or add it to roles")
            }
            let expiresAt: Timestamp
            if let seconds = TimeSpan.seconds(in: expires), seconds > 0 {
                expiresAt = now.adding(seconds: seconds)
            } else if let time = Timestamp(rfc3339: expires) {
                expiresAt = time
            } else {
                throw CommandLineError("--expires: \"\(expires)\" is not a span or a time", hint: "for example 90d or 2027-03-01T00:00:00Z; a delegation always expires")
            }
            guard expiresAt > now else { throw CommandLineError("--expires: \(expiresAt.rfc3339) is already past") }
            let maximumExpiry = try maxExpiry.map { (text) throws(CommandLineError) in try OptionValue.seconds(text, flag: "--max-expiry") }
            if let maximumExpiry, maximumExpiry < 1 { throw CommandLineError("--max-expiry: must be at least 1s") }
            if let maxUses, !(1...1_000_000_000).contains(maxUses) { throw CommandLineError("--max-uses: must be from 1 to 1000000000") }

            let signing = try store.run { store throws(KeyStore.Error) in try store.signingKey(named: signer) }
            let delegations = try store.run { store throws(KeyStore.Error) in try store.delegations() }
            if let own = delegations.first(where: { $0.delegation.key == signing.key.publicKey }) {
                throw CommandLineError("key \(signing.name) is itself delegated (\(own.name)): a delegated key cannot delegate further",
                                       hint: "delegate from the server admin's site, which holds the root key")
            }
            if delegated == signing.key.publicKey {
                throw CommandLineError("--key: that is the signing key \(signing.name) itself", hint: "give the project admin's public key, from their 'tessera keys export'")
            }
            let entries = try store.run { store throws(KeyStore.Error) in try store.entries() }
            if let root = entries.first(where: { $0.publicKey == delegated }) {
                throw CommandLineError("--key: \(delegated.id) is the key \(root.name) of this site, which verifiers already trust without limits",
                                       hint: "a delegated key must not be a root key; remove \(store.publicPath(root.name)) first if it should be one")
            }
            let name = name ?? "delegated-" + String(now.rfc3339.prefix(10))
            let delegation = Delegation(name: try OptionValue.name(name, flag: "--name"), key: delegated, projects: projects, roles: roles,
                                        issuedAt: Timestamp(seconds: now.seconds), expiresAt: Timestamp(seconds: expiresAt.seconds),
                                        maximumExpiry: maximumExpiry, maximumUses: maxUses)
            let token = Minter(key: signing.key).sign(delegation)
            guard token.utf8.count <= Delegation.maximumLength else {
                throw CommandLineError("the delegation would be \(token.utf8.count) bytes, more than \(Delegation.maximumLength)", hint: "name fewer projects or roles")
            }
            if delegations.contains(where: { $0.name == name && $0.delegation.key != delegated }) || entries.contains(where: { $0.name == name }) {
                throw CommandLineError("--name: \(name) is already taken in \(site.keys)", hint: "choose another with --name")
            }
            try store.run { store throws(KeyStore.Error) in try store.store(delegation: token, certifying: delegated.id, name: name) }
            Terminal.line("delegated \(delegated.id) as \(name): \(delegation.scopeDescription), until \(delegation.expiresAt.rfc3339), signed by \(signing.name) (\(signing.key.publicKey.id))")
            Terminal.line("  wrote \(store.delegationPath(name)): send it to the project admin, who runs 'tessera keys import \(name).delegation'")
            Terminal.line("  'tessera revoke --key \(name)' ends everything minted under it")
        }

        /// A public key given as `k4.public.…` or as a file holding a PASERK or an SPKI PEM.
        static func readPublicKey(_ text: String) throws(CommandLineError) -> PublicKey {
            if text.hasPrefix(PASERK.publicPrefix) {
                guard let key = PublicKey(paserk: text) else { throw CommandLineError("--key: not a valid k4.public key") }
                return key
            }
            if text.hasPrefix(PASERK.secretPrefix) {
                throw CommandLineError("--key: that is a SECRET key", hint: "the project admin sends only the output of 'tessera keys export' (k4.public…)")
            }
            let bytes: [UInt8]
            do { bytes = try FileSystem.read(text, limit: 64 << 10) } catch { throw CommandLineError("--key: \(error.description)", hint: "give k4.public.… or a file holding it") }
            let content = String(decoding: bytes, as: UTF8.self).trimmingASCIIWhitespace()
            if content.hasPrefix(PASERK.publicPrefix), let key = PublicKey(paserk: content) { return key }
            if content.contains("-----BEGIN PUBLIC KEY-----"), let key = try? PublicKey(pem: content) { return key }
            if content.hasPrefix(PASERK.secretPrefix) || content.contains("PRIVATE KEY") {
                throw CommandLineError("--key: \(text) holds a SECRET key", hint: "the project admin sends only the output of 'tessera keys export'")
            }
            throw CommandLineError("--key: \(text) holds no Ed25519 public key", hint: "expected k4.public.… or an SPKI PUBLIC KEY PEM")
        }
    }
}
