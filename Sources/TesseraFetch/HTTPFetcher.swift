import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL
import TesseraCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fetches a published `revoked.paseto` for `RevocationSource.url`.
///
/// Only an answer `200` is a list; anything else fails, and the verifier fails closed. Redirects
/// are followed by hand, at most five, never from https to http. The body is read up to the
/// caller's limit and no further. Certificates are checked against the system's roots, or the
/// bundle named by `SSL_CERT_FILE`, as curl and OpenSSL do.
public enum HTTPFetcher {
    /// The longest a whole fetch may take, redirects included.
    public static let timeout: Duration = .seconds(15)
    /// The longest silence in the middle of an answer.
    static let readTimeout: Duration = .seconds(10)
    /// The most redirects followed.
    public static let maximumRedirects = 5

    /// One client for the process, as AsyncHTTPClient's own `shared` is: it is never shut down.
    private static let client: HTTPClient = {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = getenv("SSL_CERT_FILE").map({ String(cString: $0) }), !file.isEmpty {
            tls.trustRoots = .file(file)
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: TimeAmount(readTimeout)),
            proxy: nil,
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        // A refused connection or a bad certificate is an answer: report it now rather than retry until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Fetches at most `limit` bytes from `url` within `timeout`; the shape of `RevocationSource.Fetcher`.
    ///
    /// AsyncHTTPClient's deadline covers the head of the answer, not its body, and its read timeout
    /// only a silence: a server that sends its head and then a byte now and then held a fetch open
    /// (and with it every later refresh, so new revocations) for minutes, while `/healthz` said ok.
    /// The whole fetch, redirects and bodies included, is now bounded here; past the bound it has
    /// failed, so the last good list stays in force and the failure is reported.
    public static func fetch(_ url: RemoteURL, limit: Int) async throws(RevocationSource.FetchError) -> [UInt8] {
        switch await Deadline.race(timeout, { try await fetchWithinDeadline(url, limit: limit) }) {
        case .success(let bytes): return bytes
        case .failure(let error as RevocationSource.FetchError): throw error
        case .failure(is Deadline.Passed): throw RevocationSource.FetchError("cannot fetch: no whole answer within \(timeout.components.seconds) s")
        case .failure(let error): throw RevocationSource.FetchError("cannot fetch: \(describe(error))")
        }
    }

    /// The fetch itself: AsyncHTTPClient's deadline bounds the wait for each head.
    private static func fetchWithinDeadline(_ url: RemoteURL, limit: Int) async throws(RevocationSource.FetchError) -> [UInt8] {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        var current = url
        for _ in 0...maximumRedirects {
            var request = HTTPClientRequest(url: current.description)
            request.headers.add(name: "User-Agent", value: "tessera-verify")
            request.headers.add(name: "Accept", value: "application/paseto, text/plain;q=0.5")
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, deadline: deadline)
            } catch {
                throw RevocationSource.FetchError("cannot fetch: \(describe(error))")
            }
            switch response.status.code {
            case 200:
                do {
                    return Array(buffer: try await response.body.collect(upTo: limit))
                } catch is NIOTooManyBytesError {
                    throw RevocationSource.FetchError("the answer is larger than \(limit) bytes")
                } catch {
                    throw RevocationSource.FetchError("cannot read the answer: \(describe(error))")
                }
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "Location") else {
                    throw RevocationSource.FetchError("answered \(response.status.code) without a Location")
                }
                guard let next = current.resolving(location) else {
                    throw RevocationSource.FetchError("redirected to an address that is not http(s): \(location.prefix(200))")
                }
                guard next.isSecure || !current.isSecure else {
                    throw RevocationSource.FetchError("refusing a redirect from https to \(next)")
                }
                current = next
            default:
                throw RevocationSource.FetchError("answered \(response.status.code) \(response.status.reasonPhrase)")
            }
        }
        throw RevocationSource.FetchError("more than \(maximumRedirects) redirects")
    }

    /// POSTs `body` to `url` (no redirects followed) and returns the answer's status, or why there was none, in a few words.
    ///
    /// For `serve --on-join`: the body of the answer is read (up to 64 KiB) and dropped, so the connection can be reused.
    public static func post(_ url: String, headers: [(String, String)], body: [UInt8], timeout: Duration = .seconds(10)) async -> Result<Int, PostError> {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        do {
            let response = try await client.execute(request, deadline: deadline)
            _ = try? await response.body.collect(upTo: 64 << 10)
            return .success(Int(response.status.code))
        } catch {
            return .failure(PostError(description: describe(error)))
        }
    }

    /// Why a POST got no answer.
    public struct PostError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// An error in a few words: AsyncHTTPClient's own descriptions are type dumps.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "the connection timed out"
            case .readTimeout: return "the server sent nothing for \(readTimeout.components.seconds) s"
            case .deadlineExceeded: return "no answer within \(timeout.components.seconds) s"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return String(describing: error)
            }
        }
        if let error = error as? NIOSSLError {
            if case .handshakeFailed(let reason) = error { return "the TLS handshake failed (\(tlsReason(reason)))" }
            return "TLS: \(error)"
        }
        if let error = error as? NIOSSLExtraError { return "TLS: \(error.description)" }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return String(describing: error)
    }

    /// BoringSSL's reason code, e.g. `CERTIFICATE_VERIFY_FAILED`, from its long error line.
    private static func tlsReason(_ error: BoringSSLError) -> String {
        guard case .sslError(let stack) = error, let last = stack.last else { return "\(error)" }
        let text = "\(last)"
        let fields = text.split(separator: ":")
        // "error:…:SSL routines:OPENSSL_internal:REASON at file:line"
        if let library = fields.firstIndex(where: { $0.hasPrefix("OPENSSL_") }), library + 1 < fields.count,
           let reason = fields[library + 1].split(separator: " ").first {
            return String(reason)
        }
        return text
    }
}
