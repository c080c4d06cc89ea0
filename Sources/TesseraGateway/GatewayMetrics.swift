import CoreMetrics
import Prometheus
import Synchronization
import TesseraCore

/// Counters, gauges and the decision latency histogram, rendered in the Prometheus text format on `/metrics`.
///
/// swift-metrics types backed by swift-prometheus, in a registry of this gateway's own rather
/// than the process-wide `MetricsSystem`: tests run many gateways in one process and read each
/// one's numbers. Each series is made by the registry, which is the only way to give it a HELP
/// text (`PrometheusMetricsFactory` makes series without one, and the registry refuses a name
/// made twice with two texts), and handed to swift-metrics with this registry's factory.
final class GatewayMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds: from a cached check (tens of µs) to a stuck ledger.
    static let latencyBuckets: [Double] = [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    /// The outcome labels of `/verify`, in the order their counters are kept.
    static let decisionOutcomes = ["granted", "missing_token"] + Reason.allCases.map(\.rawValue)

    /// The `--on-join` family, made by the first report of the notifier, so a gateway without `--on-join` shows none of it.
    private struct JoinEventMetrics: Sendable {
        let undelivered: Meter
        let delivered: CoreMetrics.Counter
        let failures: CoreMetrics.Counter
    }

    private let series: Series
    /// Made at zero for every outcome, so a dashboard finds each one before it first happens.
    private let decisions: [CoreMetrics.Counter]
    private let latency: Recorder
    /// Made at an outcome's first answer: of `/join`'s many outcomes a site sees few, and only those are shown.
    private let joins = Mutex<[String: CoreMetrics.Counter]>([:])
    private let newMembers: CoreMetrics.Counter
    private let joinEvents = Mutex<JoinEventMetrics?>(nil)
    private let signatureCacheHits: CoreMetrics.Counter
    private let signatureCacheMisses: CoreMetrics.Counter
    /// `ok` and `error`, both made at zero.
    private let reloads: [String: CoreMetrics.Counter]
    // Set from the gateway's state just before each rendering.
    private let signatureCacheEntries: Meter
    private let signatureCacheCapacity: Meter
    private let reloadProblems: Meter
    private let lastReload: Meter
    private let trustedKeys: Meter
    private let revocationEntries: Meter

    init() {
        let series = Series()
        self.series = series
        let decisionsHelp = "Answers of /verify by outcome: granted, missing_token, or the denial reason."
        decisions = Self.decisionOutcomes.map { series.counter("tessera_decisions_total", help: decisionsHelp, ["reason": $0]) }
        latency = series.histogram("tessera_decision_duration_seconds", help: "Time to decide a /verify request.", buckets: Self.latencyBuckets)
        newMembers = series.counter("tessera_new_members_total", help: "Memberships recorded by this process (redemptions that added a ledger row).")
        signatureCacheHits = series.counter("tessera_signature_cache_hits_total", help: "Tokens whose signature was found already verified.")
        signatureCacheMisses = series.counter("tessera_signature_cache_misses_total", help: "Tokens whose signature had to be verified.")
        signatureCacheEntries = series.gauge("tessera_signature_cache_entries", help: "Verified signatures held.")
        signatureCacheCapacity = series.gauge("tessera_signature_cache_capacity", help: "The most verified signatures held.")
        let reloadsHelp = "Reloads of revoked.txt or the keys folder, by result."
        reloads = Dictionary(uniqueKeysWithValues: ["ok", "error"].map { ($0, series.counter("tessera_reloads_total", help: reloadsHelp, ["result": $0])) })
        reloadProblems = series.gauge("tessera_reload_problems", help: "Files whose last edit could not be loaded (the last good copy is in force).")
        lastReload = series.gauge("tessera_last_reload_timestamp_seconds", help: "When the keys or revocation list in force were loaded (Unix time).")
        trustedKeys = series.gauge("tessera_trusted_keys", help: "Public keys trusted.")
        revocationEntries = series.gauge("tessera_revocation_entries", help: "Entries in the revocation list in force.")
    }

    /// Counts one `/verify` answer under its outcome (an index into `decisionOutcomes`), with its latency.
    func recordDecision(_ outcome: Int, duration: Duration) {
        decisions[outcome].increment()
        latency.record(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// Counts one `/join` answer under its outcome label.
    func recordJoin(_ outcome: String) {
        joins.withLock { joins in
            if let counter = joins[outcome] { return counter }
            let counter = series.counter("tessera_joins_total", help: "Answers of /join by outcome: joined, missing_token, or the denial reason.",
                                         ["reason": outcome])
            joins[outcome] = counter
            return counter
        }.increment()
    }

    /// Counts one new membership (a redemption that added a ledger row), through `/verify` or `/join`.
    func recordNewMember() { newMembers.increment() }

    /// Counts one look-up in the signature cache, found or not.
    func recordSignatureCacheLookup(hit: Bool) {
        (hit ? signatureCacheHits : signatureCacheMisses).increment()
    }

    /// Counts one event the `--on-join` receiver acknowledged.
    func recordDelivery() { joinEventMetrics().delivered.increment() }

    /// Counts one failed attempt to deliver an event (it is retried).
    func recordDeliveryFailure() { joinEventMetrics().failures.increment() }

    /// How many committed events the `--on-join` receiver has not acknowledged yet.
    func setUndeliveredEvents(_ count: Int64) { joinEventMetrics().undelivered.set(count) }

    /// Counts one reload, `ok` or `error`.
    func recordReload(_ result: String) {
        reloads[result]?.increment()
    }

    private func joinEventMetrics() -> JoinEventMetrics {
        joinEvents.withLock { made in
            if let made { return made }
            let metrics = JoinEventMetrics(
                undelivered: series.gauge("tessera_join_events_undelivered",
                                          help: "New-membership events committed but not yet acknowledged by the --on-join receiver."),
                delivered: series.counter("tessera_join_events_delivered_total", help: "New-membership events the --on-join receiver acknowledged."),
                failures: series.counter("tessera_join_event_failures_total", help: "Failed attempts to deliver a new-membership event (each is retried)."))
            made = metrics
            return metrics
        }
    }

    /// The exposition text, with the cache and reload gauges set to the values given.
    func render(cacheEntries: Int, cacheCapacity: Int, keys: Int, revocationEntries: Int, problems: Int, lastReload: Timestamp) -> [UInt8] {
        signatureCacheEntries.set(cacheEntries)
        signatureCacheCapacity.set(cacheCapacity)
        trustedKeys.set(keys)
        self.revocationEntries.set(revocationEntries)
        reloadProblems.set(problems)
        self.lastReload.set(Double(lastReload.seconds) + Double(lastReload.nanoseconds) / 1e9)
        var text: [UInt8] = []
        series.registry.emit(into: &text)
        return text
    }
}

/// Makes the series of one registry: each with its HELP text, each handed to swift-metrics with that registry's factory.
private struct Series: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() { factory = PrometheusMetricsFactory(registry: registry) }

    func counter(_ name: String, help: String, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Counter {
        let labels = labels.map { ($0.key, $0.value) }
        return CoreMetrics.Counter(label: name, dimensions: labels,
                                   handler: registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels), factory: factory)
    }

    func gauge(_ name: String, help: String) -> Meter {
        Meter(label: name, dimensions: [], handler: registry.makeGauge(descriptor: Self.descriptor(name, help), labels: []), factory: factory)
    }

    func histogram(_ name: String, help: String, buckets: [Double]) -> Recorder {
        Recorder(label: name, dimensions: [], aggregate: true,
                 handler: registry.makeValueHistogram(descriptor: Self.descriptor(name, help), labels: [], buckets: buckets), factory: factory)
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
