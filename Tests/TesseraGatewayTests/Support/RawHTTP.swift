import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deliberately small HTTP/1.0 client over a loopback socket: no redirects followed, no cookies kept, every header visible.
enum RawHTTP {
    struct Response {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: String

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        func headers(named name: String) -> [String] { headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends one request to 127.0.0.1:`port` and reads the whole answer (HTTP/1.0, so the server closes the connection).
    /// `rawHeaderLines` go out as given, after `headers`: bytes that are not UTF-8, say.
    static func request(port: Int, _ method: String = "GET", _ path: String, headers: [(String, String)] = [], rawHeaderLines: [[UInt8]] = [],
                        body: String? = nil) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        // Long: an answer is read only until it is complete (`isComplete`), so this bounds only a gateway
        // that has not answered, which on CI's two cores beside the whole parallel run took over 5 s.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port): errno \(errno)") }
        var text = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        var bytes = Array(text.utf8)
        for line in rawHeaderLines { bytes += line + Array("\r\n".utf8) }
        bytes += Array(("\r\n" + (body ?? "")).utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            received += buffer[0..<n]
            if Self.isComplete(received) { break }
        }
        let raw = String(decoding: received, as: UTF8.self)
        guard let split = raw.range(of: "\r\n\r\n") else { throw Failure(description: "no complete answer: \(raw)") }
        let lines = raw[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2, let status = Int(statusLine.split(separator: " ")[1]) else {
            throw Failure(description: "bad status line: \(raw)")
        }
        let fields = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        return Response(status: status, headers: fields.map { (name: $0.0, value: $0.1) }, body: String(raw[split.upperBound...]))
    }

    /// Whether `bytes` hold a whole answer: its head, then as many body bytes as `Content-Length` says, or
    /// a chunked body's last chunk. Without either, only the end of the connection ends the answer.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return false }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        for line in head.split(separator: "\r\n") {
            if line.hasPrefix("content-length:"), let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
                return bytes.count - end >= length
            }
            if line.hasPrefix("transfer-encoding:"), line.contains("chunked") {
                return bytes[end...].firstRange(of: Array("\r\n0\r\n\r\n".utf8)) != nil || bytes[end...].starts(with: Array("0\r\n\r\n".utf8))
            }
        }
        return false
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        return address
    }
}

extension RawHTTP {
    /// `request(…)` on a thread of its own: a blocking socket read must not occupy the shared task pool, which the
    /// in-process gateway needs in order to answer the very request being waited for.
    static func perform(port: Int, _ method: String = "GET", _ path: String, headers: [(String, String)] = [], rawHeaderLines: [[UInt8]] = [],
                        body: String? = nil) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try request(port: port, method, path, headers: headers, rawHeaderLines: rawHeaderLines, body: body) })
            }
            thread.start()
        }
    }
}
