/// A length of time written as a number and a unit: `90s`, `15m`, `36h`, `14d`, `2w`.
public enum TimeSpan {
    /// The number of seconds in `text`; a bare number means seconds. Nil for anything else, or for more than 100 years.
    public static func seconds(in text: some StringProtocol) -> Int64? {
        guard let last = text.last else { return nil }
        let unit: Int64
        var digits = Substring(text)
        switch last {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        case "w": unit = 604_800
        case "0"..."9": unit = 1
        default: return nil
        }
        if !last.isNumber { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 12, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int64(digits)
        else { return nil }
        let (total, overflow) = value.multipliedReportingOverflow(by: unit)
        guard !overflow, total <= 100 * 366 * 86_400 else { return nil }
        return total
    }

    /// A span for people: `7 days`, `36 hours`, `90 minutes`, `1 day 2 hours`; the two largest units that are not zero.
    public static func words(_ seconds: Int64) -> String {
        let units: [(Int64, String)] = [(86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
        var rest = seconds
        var parts: [String] = []
        for (size, name) in units where rest >= size && parts.count < 2 {
            let n = rest / size
            rest -= n * size
            parts.append("\(n) \(name)\(n == 1 ? "" : "s")")
        }
        return parts.isEmpty ? "0 seconds" : parts.joined(separator: " ")
    }
}
