import ArgumentParser
import TesseraCLI
import TesseraCore
import TesseraMint

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, export and import signing keys.",
        discussion: """
        Keys live in keys/ as NAME.secret.pem (mode 0600) and NAME.public.pem. Verifiers trust \
        every NAME.public.pem, so a new key can take over signing while invitations signed by \
        the old one keep working until its public file is removed.
        """,
        subcommands: [New.self, List.self, Export.self, Import.self, Use.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new Ed25519 key and make it the signing key.")

        @OptionGroup var siteOptions: SiteOptions

        @Option(help: ArgumentHelp("The key's name (default: main, or key-YYYY-MM-DD).", valueName: "name"))
        var name: String?

        @Flag(name: .customLong("no-sign"), help: "Keep the current signing key; only add this one.")
        var keepSigning = false

        func run() throws {
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
            if entries.isEmpty && !json {
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
                    Terminal.line("\(entry.isSigning ? "*" : " ") \(entry.name)  \(entry.publicKey.id)  \(kind)")
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
            abstract: "Import a key from a PEM or PASERK file ('-' reads standard input).",
            discussion: "Accepts PKCS#8 Ed25519 'PRIVATE KEY' PEM (e.g. from 'openssl genpkey -algorithm ed25519'), SPKI 'PUBLIC KEY' PEM, k4.secret and k4.public."
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
            if file == "-" {
                guard let input = Terminal.readStandardInput(limit: 64 << 10) else { throw CommandLineError("standard input is too large for a key") }
                bytes = input
            } else {
                do { bytes = try FileSystem.read(file, limit: 64 << 10) } catch { throw CommandLineError(error.description) }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let store = KeyStore(directory: siteOptions.folder.keys)
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
                case "PRIVATE KEY": try importSecret(Result { () throws(SigningKey.ImportError) in try SigningKey(pem: text) }, store: store, name: name)
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
                try importSecret(Result { () throws(SigningKey.ImportError) in try SigningKey(paserk: paserk) }, store: store, name: name)
            } else if paserk.hasPrefix(PASERK.publicPrefix) {
                try importPublic(PublicKey(paserk: paserk), store: store, name: name)
            } else if let kind = Self.paserkType(of: paserk) {
                throw CommandLineError("\(file): a \(kind) PASERK is not an Ed25519 key for v4.public tokens", hint: "import a k4.secret or k4.public")
            } else {
                throw CommandLineError("\(file): no key found", hint: "expected a PEM file or a k4.secret / k4.public PASERK")
            }
        }

        /// Reads a secret key with the errors `run` reports; the key itself is never part of a message.
        private func importSecret(_ read: Result<SigningKey, SigningKey.ImportError>, store: KeyStore, name: String) throws {
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
            Terminal.line("imported secret key \(name) (\(key.publicKey.id))\(makeSigning ? "; it signs new invitations" : "")")
        }

        private func importPublic(_ parsed: PublicKey?, store: KeyStore, name: String) throws {
            guard let key = parsed else { throw CommandLineError("\(file): not an Ed25519 public key (SPKI PEM or k4.public)") }
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
            let store = KeyStore(directory: siteOptions.folder.keys)
            try store.run { store throws(KeyStore.Error) in _ = try store.readSecret(name); try store.setSigning(name) }
            Terminal.line("new invitations are signed with \(name)")
        }
    }
}
