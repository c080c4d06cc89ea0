extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: SubSequence {
        var result = self[...]
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}

/// A path with any query removed: what logs may show of a URI (a query can carry a token).
func pathOnly(_ uri: String) -> Substring {
    uri.prefix { $0 != "?" && $0 != "#" }
}
