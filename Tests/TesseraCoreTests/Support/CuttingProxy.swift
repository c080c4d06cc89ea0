import Foundation
import Synchronization
@testable import TesseraPostgres

/// A TCP proxy on loopback in front of a PostgreSQL server that can break one connection at a first use's statement.
///
/// Everything is forwarded both ways until a fault is armed. The next client message that
/// executes the prepared statement named `statement` (a Bind message naming it; by default the
/// ledger's first use, which commits by itself) then sets it off, once:
/// - `.cutAfterFirstUse`: the message (and what follows within 100 ms) reaches the server, then both
///   sockets close: the server commits, the client never hears of it;
/// - `.cutBeforeFirstUse`: the message is dropped and both sockets close: the server never sees it;
/// - `.silenceAfterFirstUse`: the message reaches the server but no answer is passed back, and the
///   connection stays open: the client's deadline passes.
/// New connections (the pool's reconnects) are forwarded as usual.
final class CuttingProxy: @unchecked Sendable {
    enum Fault: Sendable { case none, cutAfterFirstUse, cutBeforeFirstUse, silenceAfterFirstUse }

    let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let fault = Mutex(Fault.none)
    private let fired = Mutex(0)
    /// Open connections, each closed once, by the last of its two pumps: a descriptor closed twice, or
    /// shut down after its number was handed out again, would break another test's pipe or socket.
    private let connections = Mutex<[ObjectIdentifier: Connection]>([:])
    private let stopped = Mutex(false)

    private final class Connection: Sendable {
        let client: Int32
        let server: Int32
        let running = Mutex(2)
        init(client: Int32, server: Int32) { self.client = client; self.server = server }
    }

    /// What sets off an armed fault: a Bind message ('B', its length, an unnamed portal) naming the statement.
    private let trigger: [UInt8]

    init(upstreamPort: Int, statement: String = PostgresLedger.FirstUse.name) throws {
        self.upstreamPort = upstreamPort
        self.trigger = [0] + Array(statement.utf8) + [0]
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Arms a fault for the next message holding the trigger.
    func arm(_ next: Fault) { fault.withLock { $0 = next } }

    /// How many faults went off.
    var faultsFired: Int { fired.withLock { $0 } }

    /// Stops accepting and ends every connection; the accept loop and the pumps close their own descriptors.
    func stop() {
        let first = stopped.withLock { wasStopped in
            defer { wasStopped = true }
            return !wasStopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        connections.withLock { open in
            for connection in open.values {
                shutdown(connection.client, Int32(SHUT_RDWR))
                shutdown(connection.server, Int32(SHUT_RDWR))
            }
        }
    }

    /// Called by each pump as it ends; the second closes both descriptors.
    private func finish(_ connection: Connection) {
        let last = connection.running.withLock { count in
            count -= 1
            return count == 0
        }
        guard last else { return }
        connections.withLock { open in
            open[ObjectIdentifier(connection)] = nil
            close(connection.client)
            close(connection.server)
        }
    }

    deinit { stop() }

    /// `url` with its port replaced by the proxy's.
    func url(for url: String) -> String {
        var components = URLComponents(string: url)!
        components.port = port
        return components.string!
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                // stop() shut the listener down; only this thread closes it, after its last accept.
                close(listener)
                return
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
            guard connected else {
                close(client)
                close(server)
                continue
            }
            let connection = Connection(client: client, server: server)
            connections.withLock { $0[ObjectIdentifier(connection)] = connection }
            let silenced = Flag()
            let up = Thread { [self] in
                pumpUp(from: client, to: server, silenced: silenced)
                finish(connection)
            }
            let down = Thread { [self] in
                pumpDown(from: server, to: client, silenced: silenced)
                finish(connection)
            }
            up.start()
            down.start()
        }
    }

    /// Whether `chunk` holds a Bind message of an unnamed portal to the statement `named` (NUL, name, NUL):
    /// 'B' and four length bytes precede the portal's empty name. A Parse message holds the name too,
    /// but preparing a statement does not run it.
    static func bindsStatement(_ chunk: [UInt8], _ named: [UInt8]) -> Bool {
        var start = chunk.startIndex
        while let found = chunk[start...].firstRange(of: named) {
            if found.lowerBound >= 5, chunk[found.lowerBound - 5] == UInt8(ascii: "B") { return true }
            start = found.lowerBound + 1
        }
        return false
    }

    /// Client to server: watches for the trigger.
    private func pumpUp(from client: Int32, to server: Int32, silenced: Flag) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            let chunk = Array(buffer[0..<count])
            var action = Fault.none
            if Self.bindsStatement(chunk, trigger) {
                action = fault.withLock { current in
                    let armed = current
                    current = .none
                    return armed
                }
            }
            switch action {
            case .none:
                guard send(server, chunk, chunk.count, Int32(MSG_NOSIGNAL)) == chunk.count else { break }
                continue
            case .cutBeforeFirstUse:
                silenced.set()
                fired.withLock { $0 += 1 }
            case .cutAfterFirstUse:
                // No answer goes back from here on.
                silenced.set()
                fired.withLock { $0 += 1 }
                _ = send(server, chunk, chunk.count, Int32(MSG_NOSIGNAL))
                // The rest of the message, if it came in another read.
                var wait = timeval(tv_sec: 0, tv_usec: 100_000)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
                let more = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if more > 0 { _ = send(server, Array(buffer[0..<more]), more, Int32(MSG_NOSIGNAL)) }
                // Let the server read it all before it sees the end of the connection.
                Thread.sleep(forTimeInterval: 0.2)
            case .silenceAfterFirstUse:
                silenced.set()
                fired.withLock { $0 += 1 }
                _ = send(server, chunk, chunk.count, Int32(MSG_NOSIGNAL))
                continue
            }
            break
        }
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(server, Int32(SHUT_WR))
    }

    /// Server to client: passes answers on unless silenced.
    private func pumpDown(from server: Int32, to client: Int32, silenced: Flag) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            if silenced.isSet { continue }
            guard send(client, Array(buffer[0..<count]), count, Int32(MSG_NOSIGNAL)) == count else { break }
        }
        shutdown(client, Int32(SHUT_RDWR))
    }
}

/// A flag two threads share.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
