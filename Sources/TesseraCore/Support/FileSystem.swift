#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private let systemRead = read
private let systemLink = link

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
    /// Reads a whole regular file, refusing anything larger than `limit` bytes, and anything that is not a regular file.
    public static func read(_ path: String, limit: Int = 16 << 20) throws(FileError) -> [UInt8] {
        // Non-blocking open: opening a FIFO for reading otherwise waits for a writer, which held a gateway's reload
        // loop (revocations and keys) forever and kept it from exiting on SIGTERM. The FIFO is then refused below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw FileError(path: path, code: errno, action: "cannot read") }
        defer { close(fd) }
        return try readAll(fd, path: path, limit: limit)
    }

    /// Reads the whole of an open regular file from its start, refusing more than `limit` bytes.
    private static func readAll(_ fd: Int32, path: String, limit: Int) throws(FileError) -> [UInt8] {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(path: path, code: errno, action: "cannot read") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw FileError(path: path, code: EISDIR, action: "cannot read") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileError(path: path, code: 0, action: "cannot read", detail: "not a regular file (a FIFO, socket or device)")
        }
        if Int(info.st_size) > limit { throw FileError(path: path, code: 0, action: "cannot read") }
        // Read straight into the result's uninitialised storage (a long revoked.txt is read by every
        // `check`: a copy through a chunk buffer was a second pass over it). One spare byte, so that a
        // file of the size fstat gave ends with a read of 0; a file that grew meanwhile is read on below.
        let expected = Int(info.st_size) + 1
        var failure: Int32 = 0
        var result = [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
            guard let base = buffer.baseAddress else { return }
            // Bounds: reads at most the `expected - count` bytes left in the buffer.
            while count < expected {
                let n = systemRead(fd, base + count, expected - count)
                if n < 0, errno == EINTR { continue }
                if n < 0 { failure = errno; return }
                if n == 0 { return }
                count += n
            }
        }
        if failure != 0 { throw FileError(path: path, code: failure, action: "cannot read") }
        guard result.count == expected else { return result }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while result.count <= limit {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, code: errno, action: "cannot read")
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
        throw FileError(path: path, code: 0, action: "cannot read")
    }

    /// Reads a file as UTF-8 text, or nil when it does not exist.
    ///
    /// A symbolic link whose target is missing is an error, not an absent file: a revocation list
    /// kept elsewhere and linked in must never read as "nothing revoked" while its target is away.
    public static func readIfPresent(_ path: String, limit: Int = 16 << 20) throws(FileError) -> [UInt8]? {
        do {
            return try read(path, limit: limit)
        } catch where error.isNotFound {
            guard !existsWithoutFollowing(path) else {
                throw FileError(path: path, code: ENOENT, action: "cannot read", detail: "a symbolic link whose target is missing")
            }
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

    /// Replaces a file's contents atomically, but only if it still holds `expected` at the moment of
    /// the swap; returns false (and leaves the file alone) when someone changed it meanwhile.
    ///
    /// The new contents are written and flushed to a temporary file beside it first, so the window
    /// between the last comparison and the rename is a single system call: a hand edit saved before
    /// it is seen and kept (the caller reads again and retries), never overwritten.
    public static func replaceIfUnchanged(_ path: String, expected: [UInt8], contents: [UInt8], mode: mode_t) throws(FileError) -> Bool {
        let temporary = temporaryPath(beside: path)
        try writeNewFile(temporary, contents: contents, mode: mode, durable: true, reportedAs: path, action: "cannot write")
        let current: [UInt8]?
        do {
            current = try readIfPresent(path)
        } catch {
            unlink(temporary)
            throw error
        }
        guard current == expected else {
            unlink(temporary)
            return false
        }
        guard Glibc.rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileError(path: path, code: code, action: "cannot write")
        }
        syncDirectory(containing: path)
        return true
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

    /// Writes a new file under a temporary name beside `path` (hidden, `.NAME.tmp-…`), durably,
    /// and returns that name: the first half of a publish that `link(_:to:)` completes.
    public static func createTemporary(beside path: String, contents: [UInt8], mode: mode_t) throws(FileError) -> String {
        let temporary = temporaryPath(beside: path)
        try writeNewFile(temporary, contents: contents, mode: mode, durable: true, reportedAs: path, action: "cannot create")
        return temporary
    }

    /// Gives the file at `source` a second name, `target`, which must not exist yet (like `O_EXCL`),
    /// and makes the new name durable: a reader sees no file at `target` or the whole of it.
    public static func link(_ source: String, to target: String) throws(FileError) {
        guard systemLink(source, target) == 0 else { throw FileError(path: target, code: errno, action: "cannot create") }
        syncDirectory(containing: target)
    }

    /// Appends to a file the bytes `appendix` makes of what the file holds, reading and writing
    /// through one open descriptor, and flushes them.
    ///
    /// The bytes therefore follow exactly the text they were made for (a missing final newline
    /// included), even when another program replaces the file (a rename over it) in between:
    /// they then go to the file that was read, and the new one is left as it was. A missing file
    /// is created (`O_EXCL`, `mode`) and `appendix` is given nil; when it returns nil nothing is
    /// written (and a file created for it is removed again). No symbolic link is followed.
    public static func append(to path: String, mode: mode_t = 0o644, limit: Int = 16 << 20,
                              _ appendix: (_ existing: [UInt8]?) -> [UInt8]?) throws(FileError) {
        let (fd, created) = try openForAppending(path, mode: mode)
        defer { close(fd) }
        let existing = created ? nil : try readAll(fd, path: path, limit: limit)
        guard let bytes = appendix(existing) else {
            if created { unlink(path) }
            return
        }
        try writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw FileError(path: path, code: errno, action: "cannot write") }
        if created { syncDirectory(containing: path) }
    }

    /// Opens a file to read and append to, creating it when missing; whether it was created.
    private static func openForAppending(_ path: String, mode: mode_t) throws(FileError) -> (fd: Int32, created: Bool) {
        while true {
            let fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 { return (fd, false) }
            guard errno == ENOENT else { throw FileError(path: path, code: errno, action: "cannot write") }
            let made = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if made >= 0 { return (made, true) }
            // Made by another program between the two calls: open that one.
            guard errno == EEXIST else { throw FileError(path: path, code: errno, action: "cannot write") }
        }
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
            let name = entryName(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The name in one `readdir` record, read without touching a byte past the record.
    ///
    /// `struct dirent` declares `d_name` as 256 bytes, but the kernel packs records: one is only
    /// `d_reclen` bytes long, so a short name's record ends well before `d_name`'s declared end,
    /// and reading `entry.pointee` (or `d_name` as a whole) copies bytes past it — out of bounds
    /// at the end of `readdir`'s buffer. So the name is read in place, at most
    /// `d_reclen - offsetof(d_name)` bytes (what the record holds), and at most 255 + NUL
    /// (NAME_MAX), with `strnlen` stopping at the NUL inside those bounds.
    private static func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
        let record = UnsafeRawPointer(entry)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let recordLength = Int(record.load(fromByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!, as: UInt16.self))
        let available = min(max(recordLength - nameOffset, 0), MemoryLayout<dirent>.size - nameOffset)
        let name = record.advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)
        let length = strnlen(name, available)
        return String(decoding: UnsafeRawBufferPointer(start: name, count: length), as: UTF8.self)
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

    /// Whether `path` is on a file system mounted read-only (nobody can write there, whatever its mode says).
    public static func isOnReadOnlyMount(_ path: String) -> Bool {
        var info = statvfs()
        return statvfs(path, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0
    }

    /// The absolute path with every symbolic link resolved; nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` made absolute against the working folder, its links not resolved: a link later swapped
    /// for a plain file is still this path. As it is when the working folder cannot be read.
    public static func absolutePath(_ path: String) -> String {
        guard !path.hasPrefix("/"), let here = realPath(".") else { return path }
        return join(here, path)
    }

    /// What a symbolic link holds (the path as written in it, not resolved); nil when `path` is no link.
    public static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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

    /// A hidden name beside `path` (`.NAME.tmp-…`, random) for a file that `link(_:to:)` will publish.
    public static func temporaryPath(beside path: String) -> String {
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
