import Crypto

/// At most `capacity` values keyed by a SHA-256 digest, the oldest dropped first: the store behind
/// the caches of verified signatures (gateway) and verified delegations (core). Not synchronised:
/// each cache keeps one inside its own lock.
public struct BoundedMemory<Value: Sendable>: Sendable {
    /// The most entries held.
    public let capacity: Int
    private var entries: [SHA256Digest: Value] = [:]
    /// Insertion order as a ring: the slot at `next` holds the oldest key once the ring is full.
    private var ring: [SHA256Digest?]
    private var next = 0

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        ring = Array(repeating: nil, count: self.capacity)
    }

    public subscript(key: SHA256Digest) -> Value? { entries[key] }

    /// Entries held.
    public var count: Int { entries.count }

    /// Remembers `value` under `key` (replacing one already there), dropping the oldest entry when full.
    public mutating func insert(_ value: Value, for key: SHA256Digest) {
        guard capacity > 0 else { return }
        if entries[key] != nil {
            entries[key] = value
            return
        }
        if let oldest = ring[next] { entries[oldest] = nil }
        ring[next] = key
        next = (next + 1) % capacity
        entries[key] = value
    }

    /// Forgets everything.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        ring = Array(repeating: nil, count: capacity)
        next = 0
    }
}
