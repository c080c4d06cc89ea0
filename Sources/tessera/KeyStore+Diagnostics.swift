import TesseraCLI
import TesseraCore
import TesseraMint

extension KeyStore.Error {
    /// The error as `tessera` reports it, with the fix where one is known.
    var commandLineError: CommandLineError {
        switch self {
        case .file(let error):
            return CommandLineError(error.description)
        case .noSigningKey:
            return CommandLineError("no signing key in the keys folder", hint: "run 'tessera keys new' or 'tessera keys import FILE'")
        case .ambiguousSigningKey(let names):
            return CommandLineError("several secret keys and none chosen to sign: \(names.joined(separator: ", "))", hint: "run 'tessera keys use NAME', or pass --key NAME")
        case .unknownKey(let name):
            return CommandLineError("no secret key named \(name)", hint: "'tessera keys list' shows the keys")
        case .unsafePermissions(let path, let mode):
            return CommandLineError("\(path) is open to group or others (mode \(String(mode, radix: 8))): refusing to use a secret key that may have leaked", hint: "chmod 600 \(path)")
        case .invalidKeyFile(let path, let why):
            return CommandLineError("\(path): \(why)")
        case .badName(let name, let why):
            return CommandLineError("key name \"\(name)\": \(why)", hint: "choose another with --name")
        case .publicKeyMismatch(let path):
            return CommandLineError("\(path): the public half does not match the secret seed; refusing the key")
        case .missingPublicKey(let secret, let publicFile):
            return CommandLineError("\(secret) has no public key \(publicFile): verifiers would accept nothing it signs; refusing to sign with it", hints: [
                "if a key creation was interrupted, write the public key back: openssl pkey -in \(secret) -pubout -out \(publicFile)",
                "if the key was retired on purpose, remove \(secret) as well",
            ])
        }
    }
}

extension KeyStore {
    /// Runs a store operation, turning its error into the command-line form.
    ///
    /// Every command that reads the keys folder comes through here, so this is where the files
    /// every reader skips (names that are not key names) are warned about, once.
    func run<T>(_ body: (KeyStore) throws(KeyStore.Error) -> T) throws(CommandLineError) -> T {
        KeyFolderWarnings.warn(about: directory)
        do {
            return try body(self)
        } catch {
            throw error.commandLineError
        }
    }
}
