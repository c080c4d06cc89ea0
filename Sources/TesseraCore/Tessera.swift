/// TesseraCore: everything a verifier needs, and nothing that can mint.
///
/// Tokens are PASETO v4.public (`Token/`), keys are Ed25519 with PASERK ids (`Keys/`),
/// invitations are the claims (`Invitation/`), revocation is a list (`Lists/`), and a
/// `Verifier` turns a token into a decision whose `Reason` maps to exit codes and HTTP
/// statuses in one place (`Verification/`).
public enum Tessera {
    /// The version printed by `--version`.
    public static let version = "0.1.0"
}
