import Synchronization

/// Lets one log line through per interval and counts the rest, so an outage (a ledger that is down) is reported without writing a line per request.
final class LogThrottle: Sendable {
    private let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    init(interval: Duration = .seconds(1)) {
        self.interval = interval
    }

    /// Whether to log now, and how many lines were held back since the last one that was.
    func admit() -> (allowed: Bool, suppressed: Int) {
        let now = ContinuousClock.now
        return state.withLock { state in
            if let last = state.last, now - last < interval {
                state.suppressed += 1
                return (false, 0)
            }
            let suppressed = state.suppressed
            state = (now, 0)
            return (true, suppressed)
        }
    }
}
