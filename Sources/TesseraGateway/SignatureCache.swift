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

    private struct Storage: Sendable {
        var memory: BoundedMemory<Entry>
        var hits = 0
        var misses = 0
    }

    private let storage: Mutex<Storage>

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        storage = Mutex(Storage(memory: BoundedMemory(capacity: capacity)))
    }

    /// The cache key of a token.
    static func key(for token: [UInt8]) -> SHA256Digest {
        SHA256.hash(data: token)
    }

    /// The verified token for `key`, if it was verified under the keyring generation still in force.
    func value(for key: SHA256Digest, keyringGeneration: Int) -> VerifiedToken? {
        storage.withLock { storage in
            if let entry = storage.memory[key], entry.keyringGeneration == keyringGeneration {
                storage.hits += 1
                return entry.token
            }
            storage.misses += 1
            return nil
        }
    }

    /// Remembers a verified token, dropping the oldest entry when full.
    func insert(_ token: VerifiedToken, for key: SHA256Digest, keyringGeneration: Int) {
        storage.withLock { $0.memory.insert(Entry(token: token, keyringGeneration: keyringGeneration), for: key) }
    }

    /// Forgets everything (after a key change, to free what can no longer be used).
    func removeAll() {
        storage.withLock { $0.memory.removeAll() }
    }

    /// Entries held, hits and misses so far.
    var statistics: (entries: Int, hits: Int, misses: Int) {
        storage.withLock { ($0.memory.count, $0.hits, $0.misses) }
    }
}
