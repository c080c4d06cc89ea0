import Foundation

/// What the figures were measured on.
enum Machine {
    static var summary: String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown cpu"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu)"
    }
}

/// Timing helpers: a monotonic clock, medians, and counting operations for a fixed time.
enum Measure {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Operations per second of `body`, run in batches for about `seconds`.
    static func rate(seconds: Double, batch: Int = 64, _ body: () -> Void) -> Double {
        let start = now()
        let limit = start + UInt64(seconds * 1e9)
        var count = 0
        var end = start
        repeat {
            for _ in 0..<batch { body() }
            count += batch
            end = now()
        } while end < limit
        return Double(count) / (Double(end - start) / 1e9)
    }

    static func format(_ rate: Double) -> String {
        rate >= 100 ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
    }

    static func line(_ label: String, _ value: String, _ note: String = "") -> String {
        let padded = label.padding(toLength: 46, withPad: " ", startingAt: 0)
        let valuePadded = value.padding(toLength: 16, withPad: " ", startingAt: 0)
        return "  \(padded)\(valuePadded)\(note)"
    }
}
