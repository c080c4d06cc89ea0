/// How the files of a keys folder are read by name: `NAME.public.pem`, `NAME.secret.pem` and
/// `NAME.delegation`, where NAME passes `Name.isValidKeyName` (1-64 of `A-Z a-z 0-9 . _ -`, not
/// starting with `.`).
///
/// The one check for every reader (the keyring of `build` and of every verifier, `keys list`,
/// `mint`): a file whose name fails it (`old key.public.pem`, a name holding an escape sequence)
/// is skipped everywhere alike, never trusted by one reader and refused by another, and listed
/// by `skippedFiles(in:)` so that commands can warn about it.
public enum KeyFolder {
    /// The file-name ending of a public key.
    public static let publicKeySuffix = ".public.pem"
    /// The file-name ending of a secret key.
    public static let secretKeySuffix = ".secret.pem"
    /// The file-name ending of a delegation.
    public static let delegationSuffix = ".delegation"

    /// The NAMEs of the files in `files` ending in `suffix` whose NAME is a key name, in order.
    public static func names(in files: [String], suffix: String) -> [String] {
        files.compactMap { file in
            guard file.hasSuffix(suffix) else { return nil }
            let name = String(file.dropLast(suffix.count))
            return Name.isValidKeyName(name) ? name : nil
        }
    }

    /// The files of the folder that end like a key file but whose name is not a key name, sorted;
    /// empty when the folder cannot be read (the readers report that themselves).
    public static func skippedFiles(in directory: String) -> [String] {
        guard let files = try? FileSystem.contents(ofDirectory: directory) else { return [] }
        return files.filter { file in
            [publicKeySuffix, secretKeySuffix, delegationSuffix].contains { suffix in
                file.hasSuffix(suffix) && !Name.isValidKeyName(file.dropLast(suffix.count))
            }
        }
    }
}
