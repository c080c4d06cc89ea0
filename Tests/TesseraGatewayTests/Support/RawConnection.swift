import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import TesseraTestSupport
#endif

/// One loopback TCP connection driven byte by byte, for what no HTTP client sends: partial, trickled, malformed or endless requests.
///
/// Blocking calls: use it inside `offThePool`, never on the shared task pool the in-process gateway answers from.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks the socket's receive buffer (set before connecting, so the window is small from the start).
    init(port: Int, receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTP.Failure(description: "socket: \(errno)") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RawHTTP.Failure(description: "connect to port \(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Sends every byte; false once the server has closed or reset the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { sendBytes(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends `chunk` again and again for at most `limit`, never blocking; stops once the socket has taken nothing for
    /// `stall` (the server stopped reading). Returns the bytes sent and whether it stalled.
    func sendUntilStalled(_ chunk: [UInt8], for limit: Duration, stall: Duration) -> (sent: Int, stalled: Bool) {
        let end = ContinuousClock.now + limit
        var sent = 0, offset = 0
        var lastProgress = ContinuousClock.now
        while ContinuousClock.now < end {
            let n = chunk[offset...].withUnsafeBytes { sendWithoutWaiting(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                sent += n
                offset = (offset + n) % chunk.count
                lastProgress = ContinuousClock.now
                continue
            }
            if n < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR { return (sent, false) }
            if ContinuousClock.now - lastProgress >= stall { return (sent, true) }
            var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&waiting, 1, 20)
        }
        return (sent, false)
    }

    /// What arrived within `limit`, and whether the server closed (end of stream or reset) in that time.
    ///
    /// Returns as soon as the connection ends; `until` stops it early once the bytes so far satisfy it.
    func receive(for limit: Duration, until enough: (([UInt8]) -> Bool)? = nil) -> (bytes: [UInt8], closed: Bool) {
        let end = ContinuousClock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < end {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = end - ContinuousClock.now
            let ready = poll(&poller, 1, Int32(max(1, min(100, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))))
            if ready < 0, errno != EINTR { return (received, true) }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            guard n > 0 else { return (received, true) }
            received += buffer[0..<n]
            if let enough, enough(received) { return (received, false) }
        }
        return (received, false)
    }

    /// Whether the server ended the connection within `limit`, found without reading what it sent (so a full receive buffer stays full).
    func waitForHangUp(within limit: Duration) -> Bool {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if hasHungUp(waiting: 50) { return true }
        }
        return false
    }

    /// Whether the server has closed or reset the connection, waiting at most `milliseconds` for it.
    func hasHungUp(waiting milliseconds: Int32 = 0) -> Bool {
        // POLLRDHUP (0x2000): the peer closed; POLLERR and POLLHUP: it reset. POLLIN alone says only that data waits.
        let hangUp = Int16(0x2000) | Int16(POLLERR) | Int16(POLLHUP)
        var poller = pollfd(fd: fd, events: hangUp, revents: 0)
        return poll(&poller, 1, milliseconds) > 0 && poller.revents & hangUp != 0
    }

    /// The status codes of the responses in `bytes`, in order (every `HTTP/1.x NNN` at the start of a line).
    static func statuses(in bytes: [UInt8]) -> [Int] {
        // Split on LF alone: a refusal's one-line body ends in a bare LF, right before the next status line.
        bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("HTTP/1."), text.utf8.count >= 12 else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }
    }
}

/// `send(2)` without SIGPIPE, under a name `RawConnection.send` does not shadow.
private func sendBytes(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    send(fd, bytes, count, Int32(MSG_NOSIGNAL))
}

/// `send(2)` that never blocks, without SIGPIPE.
private func sendWithoutWaiting(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    send(fd, bytes, count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
}
