extension Array where Element == UInt8 {
    /// Appends the decimal digits of a non-negative integer, without building an intermediate `String`.
    mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0)
        if value >= 10 { appendDecimal(value / 10) }
        append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
