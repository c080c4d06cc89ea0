/// A square of modules under construction that remembers which ones belong to function patterns.
struct ModuleGrid: Sendable {
    /// Modules per side.
    let size: Int
    /// Row-major modules, 1 for dark and 0 for light; bytes rather than `Bool` so penalties can add them up.
    var modules: [UInt8]
    /// Row-major flags for modules that data and masking must leave alone.
    var isFunction: [Bool]

    /// An all-light grid with no function modules yet.
    init(size: Int) {
        self.size = size
        modules = [UInt8](repeating: 0, count: size * size)
        isFunction = [Bool](repeating: false, count: size * size)
    }

    /// Sets a module and reserves it for a function pattern.
    mutating func setFunction(x: Int, y: Int, dark: Bool) {
        modules[y * size + x] = dark ? 1 : 0
        isFunction[y * size + x] = true
    }
}
