#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The site's writer lock: an advisory `flock` on `.tessera.lock` in the site folder.
///
/// Every `tessera` command that changes the site (`mint`, `build`, `revoke`, `prune`, `keys
/// new|import|use`) holds it from before its first write until it exits, so two of them never
/// interleave: two first mints make one key, `build` never sweeps a running mint's temporary
/// files, `prune` never rewrites `revoked.txt` under a `revoke`. Readers (`list`, `show`,
/// `keys list|export`, every verifier) never take it. The kernel releases it when the holding
/// process ends, however it ends, so a crashed command leaves no stale lock; the file itself
/// stays (an empty file, plus the holder's pid for the waiting message).
public final class SiteLock: @unchecked Sendable {
    /// The name of the lock file in the site folder.
    public static let fileName = ".tessera.lock"

    /// The lock file's path.
    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Why the lock was not taken.
    public enum Failure: Error, Sendable, Equatable {
        /// The lock file could not be opened or created.
        case file(FileError)
        /// The lock file exists but this user may not open it, even to read (a site shared by
        /// several users, its lock file made by one of them without read permission for the others).
        case unreadable(path: String)
        /// Another process held it for the whole timeout; its pid when known.
        case timedOut(path: String, holder: Int32?, seconds: Double)
    }

    /// Takes the lock of `site`, creating the folder and the lock file when missing.
    ///
    /// When another process holds it, `waiting` is called once (with that process's pid when
    /// known) and the lock is tried again every 50 ms until `timeout` seconds have passed.
    public static func acquire(_ site: SiteFolder, timeout: Double, waiting: (Int32?) -> Void) throws(Failure) -> SiteLock {
        do {
            try site.checkContained(site.path(fileName))
        } catch {
            throw .file(error)
        }
        return try acquire(folder: site.root == "" ? "." : site.root, folderMode: 0o755, timeout: timeout, waiting: waiting)
    }

    /// Takes the lock of any folder (`.tessera.lock` in it), creating the folder with `folderMode` when missing.
    ///
    /// A keys folder shared by several sites (`--keys DIR`) is locked this way too, so that two
    /// sites creating their first key at the same moment make one key, not two.
    public static func acquire(folder: String, folderMode: mode_t, timeout: Double, waiting: (Int32?) -> Void) throws(Failure) -> SiteLock {
        let path = FileSystem.join(folder, fileName)
        do {
            try FileSystem.makeDirectory(folder, mode: folderMode)
        } catch {
            throw .file(error)
        }
        // No symlink followed: a lock file linked elsewhere would let a link decide what is locked.
        var fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0, errno == ENOENT {
            fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            // In a folder its group may write (a site shared by a team), the group may write the
            // lock file too, whatever the umask (022 would leave it 0644): the next member then
            // records its pid. Never writable by all, even in a folder that is.
            if fd >= 0, let folderMode = FileSystem.permissions(of: folder), folderMode & S_IWGRP != 0 {
                _ = fchmod(fd, 0o664)
            }
            if fd < 0, errno == EEXIST { fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC) }
        }
        if fd < 0, errno == EACCES || errno == EPERM || errno == EROFS {
            // A lock file another user made (0644, theirs) cannot be opened for writing, but flock
            // needs no write access: open it read-only and lock that (the pid is then not recorded).
            let code = errno
            fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 {
                if errno == EACCES || errno == EPERM { throw .unreadable(path: path) }
                throw .file(FileError(path: path, code: code, action: "cannot open the site lock"))
            }
        }
        guard fd >= 0 else { throw .file(FileError(path: path, code: errno, action: "cannot open the site lock")) }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var announced = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                close(fd)
                throw .file(FileError(path: path, code: code, action: "cannot take the site lock"))
            }
            let holder = Self.holder(fd)
            if !announced {
                waiting(holder)
                announced = true
            }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
            if elapsed >= timeout {
                close(fd)
                throw .timedOut(path: path, holder: holder, seconds: timeout)
            }
            usleep(50_000)
        }
        // Record who holds it, for the message of the next one to wait (not possible on a read-only descriptor).
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return SiteLock(path: path, descriptor: fd)
    }

    /// Releases the lock (the process's end releases it too).
    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingASCIIWhitespace())
    }
}
