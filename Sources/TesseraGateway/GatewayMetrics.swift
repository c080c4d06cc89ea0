import Synchronization
import TesseraCore

/// Counters and the decision latency histogram, rendered in the Prometheus text format on `/metrics`.
///
/// Kept by hand rather than through swift-metrics: the gateway needs a handful of series and
/// one exposition format, and this way the numbers tests read are the numbers served.
final class GatewayMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds: from a cached check (tens of µs) to a stuck ledger.
    static let latencyBuckets: [Double] = [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    /// The outcome labels of `/verify`, in the order their counters are kept.
    static let decisionOutcomes = ["granted", "missing_token"] + Reason.allCases.map(\.rawValue)

    private struct State: Sendable {
        var decisions = [Int](repeating: 0, count: GatewayMetrics.decisionOutcomes.count)
        var joins: [String: Int] = [:]
        var bucketCounts = [Int](repeating: 0, count: GatewayMetrics.latencyBuckets.count)
        var latencySum: Double = 0
        var latencyCount = 0
        var reloads: [String: Int] = [:]
        var newMembers = 0
        var delivered = 0
        var deliveryFailures = 0
        var undelivered: Int64?
    }

    private let state = Mutex(State())

    init() {}

    /// Counts one `/verify` answer under its outcome (an index into `decisionOutcomes`), with its latency.
    func recordDecision(_ outcome: Int, duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        state.withLock { state in
            state.decisions[outcome] += 1
            if let bucket = Self.latencyBuckets.firstIndex(where: { seconds <= $0 }) { state.bucketCounts[bucket] += 1 }
            state.latencySum += seconds
            state.latencyCount += 1
        }
    }

    /// Counts one `/join` answer under its outcome label.
    func recordJoin(_ outcome: String) {
        state.withLock { $0.joins[outcome, default: 0] += 1 }
    }

    /// Counts one new membership (a redemption that added a ledger row), through `/verify` or `/join`.
    func recordNewMember() {
        state.withLock { $0.newMembers += 1 }
    }

    /// Counts one event the `--on-join` receiver acknowledged.
    func recordDelivery() { state.withLock { $0.delivered += 1 } }

    /// Counts one failed attempt to deliver an event (it is retried).
    func recordDeliveryFailure() { state.withLock { $0.deliveryFailures += 1 } }

    /// How many committed events the `--on-join` receiver has not acknowledged yet.
    func setUndeliveredEvents(_ count: Int64) { state.withLock { $0.undelivered = count } }

    /// Counts one reload, `ok` or `error`.
    func recordReload(_ result: String) {
        state.withLock { $0.reloads[result, default: 0] += 1 }
    }


    /// The exposition text, including the cache and reload gauges given.
    func render(cache: (entries: Int, hits: Int, misses: Int), cacheCapacity: Int, keys: Int, revocationEntries: Int, problems: Int,
                lastReload: Timestamp) -> String {
        let state = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        family("tessera_decisions_total", "counter", "Answers of /verify by outcome: granted, missing_token, or the denial reason.")
        for (outcome, count) in zip(Self.decisionOutcomes, state.decisions) {
            out += "tessera_decisions_total{reason=\"\(outcome)\"} \(count)\n"
        }
        family("tessera_decision_duration_seconds", "histogram", "Time to decide a /verify request.")
        var cumulative = 0
        for (bound, count) in zip(Self.latencyBuckets, state.bucketCounts) {
            cumulative += count
            out += "tessera_decision_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "tessera_decision_duration_seconds_bucket{le=\"+Inf\"} \(state.latencyCount)\n"
        out += "tessera_decision_duration_seconds_sum \(state.latencySum)\n"
        out += "tessera_decision_duration_seconds_count \(state.latencyCount)\n"
        family("tessera_joins_total", "counter", "Answers of /join by outcome: joined, missing_token, or the denial reason.")
        for (outcome, count) in state.joins.sorted(by: { $0.key < $1.key }) {
            out += "tessera_joins_total{reason=\"\(outcome)\"} \(count)\n"
        }
        family("tessera_new_members_total", "counter", "Memberships recorded by this process (redemptions that added a ledger row).")
        out += "tessera_new_members_total \(state.newMembers)\n"
        if let undelivered = state.undelivered {
            family("tessera_join_events_undelivered", "gauge", "New-membership events committed but not yet acknowledged by the --on-join receiver.")
            out += "tessera_join_events_undelivered \(undelivered)\n"
            family("tessera_join_events_delivered_total", "counter", "New-membership events the --on-join receiver acknowledged.")
            out += "tessera_join_events_delivered_total \(state.delivered)\n"
            family("tessera_join_event_failures_total", "counter", "Failed attempts to deliver a new-membership event (each is retried).")
            out += "tessera_join_event_failures_total \(state.deliveryFailures)\n"
        }
        family("tessera_signature_cache_hits_total", "counter", "Tokens whose signature was found already verified.")
        out += "tessera_signature_cache_hits_total \(cache.hits)\n"
        family("tessera_signature_cache_misses_total", "counter", "Tokens whose signature had to be verified.")
        out += "tessera_signature_cache_misses_total \(cache.misses)\n"
        family("tessera_signature_cache_entries", "gauge", "Verified signatures held.")
        out += "tessera_signature_cache_entries \(cache.entries)\n"
        family("tessera_signature_cache_capacity", "gauge", "The most verified signatures held.")
        out += "tessera_signature_cache_capacity \(cacheCapacity)\n"
        family("tessera_reloads_total", "counter", "Reloads of revoked.txt or the keys folder, by result.")
        for result in ["ok", "error"] {
            out += "tessera_reloads_total{result=\"\(result)\"} \(state.reloads[result] ?? 0)\n"
        }
        family("tessera_reload_problems", "gauge", "Files whose last edit could not be loaded (the last good copy is in force).")
        out += "tessera_reload_problems \(problems)\n"
        family("tessera_last_reload_timestamp_seconds", "gauge", "When the keys or revocation list in force were loaded (Unix time).")
        out += "tessera_last_reload_timestamp_seconds \(Double(lastReload.seconds) + Double(lastReload.nanoseconds) / 1e9)\n"
        family("tessera_trusted_keys", "gauge", "Public keys trusted.")
        out += "tessera_trusted_keys \(keys)\n"
        family("tessera_revocation_entries", "gauge", "Entries in the revocation list in force.")
        out += "tessera_revocation_entries \(revocationEntries)\n"
        return out
    }
}
