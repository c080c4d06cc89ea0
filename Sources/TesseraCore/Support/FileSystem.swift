#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private let systemRead = read

/// Why a file operation failed, with the path it concerned.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file or folder the operation was about.
    public let path: String
    /// The C `errno` value, or 0 when the failure was not a system call's.
    public let code: Int32
    /// What was being done, e.g. "cannot read".
    public let action: String
    /// Why, when it is not a system error's text.
    public let detail: String?

    public init(path: String, code: Int32, action: String, detail: String? = nil) {
        self.path = path
        self.code = code
        self.action = action
        self.detail = detail
    }

    /// Whether the file simply does not exist.
    public var isNotFound: Bool { code == ENOENT }

    public var description: String {
        if let detail { return "\(action) \(path): \(detail)" }
        let reason: String
        switch code {
        case 0: reason = "too large"
        case ENOENT: reason = "no such file or directory"
        case EACCES, EPERM: reason = "permission denied"
        case EEXIST: reason = "already exists"
        case ELOOP: reason = "is a symbolic link"
        case EISDIR: reason = "is a directory"
        case ENOTDIR: reason = "not a directory"
        default:
            reason = String(cString: strerror(code)).lowercased()
        }
        return "\(action) \(path): \(reason)"
    }
}

/// Thin, explicit wrappers over POSIX file calls: the places where modes, exclusivity and atomicity matter.
public enum FileSystem {
    /// Reads a whole regular file, refusing anything larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 16 << 20) throws(FileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, code: errno, action: "cannot read") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(path: path, code: errno, action: "cannot read") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw FileError(path: path, code: EISDIR, action: "cannot read") }
        if Int(info.st_size) > limit { throw FileError(path: path, code: 0, action: "cannot read") }
        var result = [UInt8]()
        result.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, code: errno, action: "cannot read")
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
            if result.count > limit { throw FileError(path: path, code: 0, action: "cannot read") }
        }
        return result
    }

    /// Reads a file as UTF-8 text, or nil when it does not exist.
    public static func readIfPresent(_ path: String, limit: Int = 16 << 20) throws(FileError) -> [UInt8]? {
        do {
            return try read(path, limit: limit)
        } catch where error.isNotFound {
            return nil
        }
    }

    /// Creates a new file that must not exist yet (`O_EXCL`, no symlink followed), with `mode`, and (unless told otherwise) makes it durable.
    public static func createExclusive(_ path: String, contents: [UInt8], mode: mode_t, durable: Bool = true) throws(FileError) {
        try writeNewFile(path, contents: contents, mode: mode, durable: durable, reportedAs: path, action: "cannot create")
        if durable { syncDirectory(containing: path) }
    }

    /// Replaces a file's contents atomically: a reader sees the old file or the new one, never a part.
    ///
    /// With `durable`, the data and the rename are flushed to disk before returning.
    public static func writeAtomically(_ path: String, contents: [UInt8], mode: mode_t = 0o644, durable: Bool = true) throws(FileError) {
        let temporary = temporaryPath(beside: path)
        try writeNewFile(temporary, contents: contents, mode: mode, durable: durable, reportedAs: path, action: "cannot write")
        guard Glibc.rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileError(path: path, code: code, action: "cannot write")
        }
        if durable { syncDirectory(containing: path) }
    }

    /// Writes a file that must not exist yet; on any failure it is removed again, so no part of it is left behind.
    private static func writeNewFile(_ path: String, contents: [UInt8], mode: mode_t, durable: Bool, reportedAs shown: String, action: String) throws(FileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: shown, code: errno, action: action) }
        // The umask may have taken bits away; the mode is the contract, so set it explicitly.
        fchmod(fd, mode)
        do throws(FileError) {
            try writeAll(fd, contents, path: shown)
            if durable, fsync(fd) != 0 { throw FileError(path: shown, code: errno, action: "cannot write") }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        close(fd)
    }

    /// Appends bytes to a file (creating it with `mode` if needed) and flushes them.
    public static func append(_ path: String, contents: [UInt8], mode: mode_t = 0o644) throws(FileError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: path, code: errno, action: "cannot write") }
        defer { close(fd) }
        try writeAll(fd, contents, path: path)
        guard fsync(fd) == 0 else { throw FileError(path: path, code: errno, action: "cannot write") }
    }

    /// Creates a folder and any missing parents; returns whether the last one was newly made.
    @discardableResult
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(FileError) -> Bool {
        if isDirectory(path) { return false }
        let parent = directoryName(of: path)
        if parent != path, !parent.isEmpty, !isDirectory(parent) {
            try makeDirectory(parent, mode: 0o755)
        }
        if mkdir(path, mode) != 0 {
            if errno == EEXIST, isDirectory(path) { return false }
            throw FileError(path: path, code: errno, action: "cannot create")
        }
        return true
    }

    /// Whether `path` names a folder (following symbolic links).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether anything exists at `path` (a dangling symbolic link counts).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The permission bits of a file, or nil when it cannot be examined.
    public static func permissions(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    /// The names in a folder, sorted, without `.` and `..`.
    public static func contents(ofDirectory path: String) throws(FileError) -> [String] {
        guard let dir = opendir(path) else { throw FileError(path: path, code: errno, action: "cannot read") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Renames a file or folder (atomic within one file system); an existing folder at `target` must be empty.
    public static func rename(_ source: String, to target: String) throws(FileError) {
        guard Glibc.rename(source, target) == 0 else { throw FileError(path: target, code: errno, action: "cannot write") }
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws(FileError) {
        if unlink(path) != 0 && errno != ENOENT {
            throw FileError(path: path, code: errno, action: "cannot remove")
        }
    }

    /// Removes a folder and everything in it; a missing folder is not an error. Symbolic links are removed, not followed.
    public static func removeTree(_ path: String) throws(FileError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in try contents(ofDirectory: path) {
                try removeTree(path + "/" + name)
            }
            if rmdir(path) != 0 { throw FileError(path: path, code: errno, action: "cannot remove") }
        } else {
            try remove(path)
        }
    }

    /// Flushes a folder's entry list so that a create or rename inside it survives a crash.
    public static func syncDirectory(containing path: String) {
        let fd = open(directoryName(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// The absolute path with every symbolic link resolved; nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether something (a file, a folder or a link, even a dangling one) is at `path`.
    public static func existsWithoutFollowing(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Flushes every pending write to disk: one flush after many non-durable writes instead of one per file.
    public static func flushAll() {
        sync()
    }

    /// The folder part of a path (`.` when it has none).
    public static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Joins path components with `/`, leaving an absolute second part as it is.
    public static func join(_ base: String, _ component: String) -> String {
        if component.hasPrefix("/") || base.isEmpty || base == "." { return component }
        return base.hasSuffix("/") ? base + component : base + "/" + component
    }

    private static func temporaryPath(beside path: String) -> String {
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() as UInt64, radix: 36)
        let dir = directoryName(of: path)
        let base = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? path[...]
        return join(dir, ".\(base).tmp-\(suffix)")
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, code: errno, action: "cannot write")
            }
            offset += n
        }
    }
}
