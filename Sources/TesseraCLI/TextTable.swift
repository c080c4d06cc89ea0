/// Columns aligned with spaces, for listings read by people (`tessera list`, `tessera-verify members`).
public struct TextTable {
    private let headers: [String]
    private var rows: [[String]] = []

    /// A table with these column headers.
    public init(_ headers: [String]) {
        self.headers = headers
    }

    /// Adds a row; missing cells are empty. Cells are shown with control characters escaped (`Terminal.displayable`).
    public mutating func append(_ row: [String]) {
        rows.append(row.map(Terminal.displayable))
    }

    /// The lines of the table, header first; the last column is not padded.
    public var lines: [String] {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            var line = ""
            for index in headers.indices {
                let cell = index < row.count ? row[index] : ""
                if index == headers.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[index] - cell.count + 2)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}
