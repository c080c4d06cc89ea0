/// An instant in UTC, with nanosecond precision, as read from or written to RFC 3339 text.
public struct Timestamp: Hashable, Comparable, Sendable {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    public var seconds: Int64
    /// Nanoseconds past `seconds`, always in 0..<1_000_000_000 so instants before 1970 still count forward.
    public var nanoseconds: Int32

    /// Creates the instant `seconds` + `nanoseconds` (which must be in 0..<1_000_000_000) after the Unix epoch.
    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        precondition((0..<1_000_000_000).contains(nanoseconds), "nanoseconds must be in 0..<1_000_000_000")
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Parses RFC 3339 §5.6 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, with uppercase `T` and `Z` only.
    ///
    /// Second 60 is accepted as a leap second and read as the first second of the
    /// following minute, since a count of seconds since the epoch has no leap seconds.
    /// A fraction has 1 to 9 digits; `-00:00` is read as UTC. An offset that moves the
    /// instant out of the years 0000–9999 in UTC (`0000-01-01T00:00:00+00:01`) is refused:
    /// such an instant could not be written back.
    public init?(rfc3339 text: some StringProtocol) {
        self.init(rfc3339Bytes: text.utf8)
    }

    /// Parses RFC 3339 date-time from UTF-8 bytes, with the same rules as `init?(rfc3339:)`.
    public init?<C: Collection>(rfc3339Bytes: C) where C.Element == UInt8 {
        // Longer than the longest valid form: "YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM".
        guard rfc3339Bytes.count <= 35 else { return nil }
        let parsed: Timestamp?
        if let result = rfc3339Bytes.withContiguousStorageIfAvailable(Self.parse) {
            parsed = result
        } else {
            parsed = Array(rfc3339Bytes).withUnsafeBufferPointer(Self.parse)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` in UTC, fractions dropped (truncated toward the past).
    ///
    /// Years outside 0000–9999 cannot be written in RFC 3339; they come out with more
    /// digits or a minus sign, which `init?(rfc3339:)` rejects, so such values fail closed.
    public var rfc3339: String {
        var (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        let (year, month, day) = Self.civil(fromDays: days)
        var text: [UInt8] = []
        text.reserveCapacity(24)
        if (0...9999).contains(year) {
            Self.appendDigits(Int(year), count: 4, to: &text)
        } else {
            text.append(contentsOf: String(year).utf8)
        }
        text.append(UInt8(ascii: "-"))
        Self.appendDigits(month, count: 2, to: &text)
        text.append(UInt8(ascii: "-"))
        Self.appendDigits(day, count: 2, to: &text)
        text.append(UInt8(ascii: "T"))
        Self.appendDigits(Int(secondOfDay / 3600), count: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        Self.appendDigits(Int(secondOfDay / 60 % 60), count: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        Self.appendDigits(Int(secondOfDay % 60), count: 2, to: &text)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// As `rfc3339`, with the fraction of a second when there is one (`2026-05-01T00:00:00.5Z`), so that the text reads back as exactly this instant.
    public var exactRFC3339: String {
        guard nanoseconds != 0 else { return rfc3339 }
        var digits = String(nanoseconds)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return String(rfc3339.dropLast()) + "." + digits + "Z"
    }

    /// The instant `seconds` later (earlier if negative), saturating at the ends of the Int64 range instead of trapping.
    public func adding(seconds delta: Int64) -> Timestamp {
        let (sum, overflow) = seconds.addingReportingOverflow(delta)
        guard !overflow else {
            return Timestamp(seconds: delta > 0 ? .max : .min, nanoseconds: nanoseconds)
        }
        return Timestamp(seconds: sum, nanoseconds: nanoseconds)
    }

    /// Orders instants by time: seconds first, then nanoseconds.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    private static func appendDigits(_ value: Int, count: Int, to text: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        while divisor > 0 {
            text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        let count = text.count
        guard count >= 20 else { return nil }

        func digit(_ index: Int) -> Int? {
            let value = text[index] &- UInt8(ascii: "0")
            return value < 10 ? Int(value) : nil
        }
        func twoDigits(_ index: Int) -> Int? {
            guard let high = digit(index), let low = digit(index + 1) else { return nil }
            return high * 10 + low
        }

        guard let century = twoDigits(0), let yearOfCentury = twoDigits(2),
            text[4] == UInt8(ascii: "-"), let month = twoDigits(5),
            text[7] == UInt8(ascii: "-"), let day = twoDigits(8),
            text[10] == UInt8(ascii: "T"), let hour = twoDigits(11),
            text[13] == UInt8(ascii: ":"), let minute = twoDigits(14),
            text[16] == UInt8(ascii: ":"), let second = twoDigits(17)
        else { return nil }
        let year = century * 100 + yearOfCentury
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var index = 19
        var nanoseconds = 0
        if text[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < count, let value = digit(index) {
                // Digits past the ninth make the length check below fail, so they never overflow this.
                nanoseconds = nanoseconds &* 10 &+ value
                index += 1
            }
            let digits = index - fractionStart
            guard (1...9).contains(digits) else { return nil }
            for _ in digits..<9 { nanoseconds *= 10 }
        }

        guard index < count else { return nil }
        var offset = 0
        switch text[index] {
        case UInt8(ascii: "Z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 <= count, let offsetHour = twoDigits(index + 1),
                text[index + 3] == UInt8(ascii: ":"), let offsetMinute = twoDigits(index + 4),
                offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offset = offsetHour * 3600 + offsetMinute * 60
            if text[index] == UInt8(ascii: "-") { offset = -offset }
            index += 6
        default:
            return nil
        }
        guard index == count else { return nil }

        let days = daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day))
        // Local time = UTC + offset, so the instant is the local reading minus the offset.
        let secondsOfDay = Int64(hour * 3600 + minute * 60 + second)
        let seconds = days * 86_400 + secondsOfDay - Int64(offset)
        // Every instant read must be writable: a `before:` entry that could not be read back would void the signed list it is published in.
        guard writableSeconds.contains(seconds) else { return nil }
        return Timestamp(seconds: seconds, nanoseconds: Int32(nanoseconds))
    }

    /// 0000-01-01T00:00:00Z ..< 10000-01-01T00:00:00Z: the instants `rfc3339` can write.
    private static let writableSeconds: Range<Int64> = -62_167_219_200..<253_402_300_800

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return isLeap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    /// The instant as an HTTP date (RFC 9110 §5.6.7, IMF-fixdate), to the second: `Sun, 06 Nov 1994 08:49:37 GMT`.
    public var httpDate: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        // 1970-01-01 was a Thursday.
        let weekday = Int(((days % 7) + 11) % 7)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(names[weekday]), \(two(day)) \(months[month - 1]) \(year) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    // Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    // Howard Hinnant's civil_from_days, the inverse of `daysFromCivil`.
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, Int(month), Int(day))
    }
}
