import Crypto
import Synchronization
import TesseraCore

/// A bounded memory of tokens whose signatures already verified, so a busy gateway checks each token's Ed25519 signature once.
///
/// Entries are keyed by the SHA-256 of the token, so the cache holds no token and a lookup
/// cannot be steered by a chosen prefix. Only what `Verifier.verifySignature` decides is
/// kept (format, key and signature), never a decision: time, revocation and the ledger are
/// checked on every request. Each entry remembers the keyring generation it was verified
/// under, so removing a key takes effect at once. When full, the oldest entry is dropped.
final class SignatureCache: Sendable {
    /// The most entries held.
    let capacity: Int

    private struct Entry: Sendable {
        let token: VerifiedToken
        let keyringGeneration: Int
    }

    private let memory: Mutex<BoundedMemory<Entry>>

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        memory = Mutex(BoundedMemory(capacity: capacity))
    }

    /// The cache key of a token.
    static func key(for token: [UInt8]) -> SHA256Digest {
        SHA256.hash(data: token)
    }

    /// The verified token for `key`, if it was verified under the keyring generation still in force.
    func value(for key: SHA256Digest, keyringGeneration: Int) -> VerifiedToken? {
        memory.withLock { memory in
            guard let entry = memory[key], entry.keyringGeneration == keyringGeneration else { return nil }
            return entry.token
        }
    }

    /// Remembers a verified token, dropping the oldest entry when full.
    func insert(_ token: VerifiedToken, for key: SHA256Digest, keyringGeneration: Int) {
        memory.withLock { $0.insert(Entry(token: token, keyringGeneration: keyringGeneration), for: key) }
    }

    /// Forgets everything (after a key change, to free what can no longer be used).
    func removeAll() {
        memory.withLock { $0.removeAll() }
    }

    /// Entries held.
    var count: Int {
        memory.withLock { $0.count }
    }
}
