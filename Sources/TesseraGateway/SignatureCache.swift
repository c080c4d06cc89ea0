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
        var entries: [SHA256Digest: Entry] = [:]
        /// Insertion order as a ring: the slot at `next` holds the oldest key once the ring is full.
        var ring: [SHA256Digest?]
        var next = 0
        var hits = 0
        var misses = 0
    }

    private let storage: Mutex<Storage>

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        storage = Mutex(Storage(ring: Array(repeating: nil, count: max(0, capacity))))
    }

    /// The cache key of a token.
    static func key(for token: [UInt8]) -> SHA256Digest {
        SHA256.hash(data: token)
    }

    /// The verified token for `key`, if it was verified under the keyring generation still in force.
    func value(for key: SHA256Digest, keyringGeneration: Int) -> VerifiedToken? {
        storage.withLock { storage in
            if let entry = storage.entries[key], entry.keyringGeneration == keyringGeneration {
                storage.hits += 1
                return entry.token
            }
            storage.misses += 1
            return nil
        }
    }

    /// Remembers a verified token, dropping the oldest entry when full.
    func insert(_ token: VerifiedToken, for key: SHA256Digest, keyringGeneration: Int) {
        guard capacity > 0 else { return }
        storage.withLock { storage in
            let entry = Entry(token: token, keyringGeneration: keyringGeneration)
            if storage.entries[key] != nil {
                storage.entries[key] = entry
                return
            }
            if let oldest = storage.ring[storage.next] { storage.entries[oldest] = nil }
            storage.ring[storage.next] = key
            storage.next = (storage.next + 1) % capacity
            storage.entries[key] = entry
        }
    }

    /// Forgets everything (after a key change, to free what can no longer be used).
    func removeAll() {
        storage.withLock { storage in
            storage.entries.removeAll(keepingCapacity: true)
            storage.ring = Array(repeating: nil, count: capacity)
            storage.next = 0
        }
    }

    /// Entries held, hits and misses so far.
    var statistics: (entries: Int, hits: Int, misses: Int) {
        storage.withLock { ($0.entries.count, $0.hits, $0.misses) }
    }
}
