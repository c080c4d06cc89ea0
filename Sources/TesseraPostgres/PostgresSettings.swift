import Foundation
import PostgresNIO
import TesseraCore

/// The connection settings named by a `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// `sslmode` follows libpq: `disable` (the default here, and `allow`/`prefer` are taken as it)
/// sends nothing encrypted; `require` encrypts without checking the certificate; `verify-ca`
/// checks it against the system's roots; `verify-full` also checks the host name.
struct PostgresSettings: Sendable {
    /// How the connection is encrypted.
    enum Encryption: String, Sendable {
        case disable, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var encryption: Encryption
    /// The PostgreSQL schema that holds the tables, when not the role's default one.
    var namespace: String?
    /// The URL with its password hidden, for messages.
    var redacted: String

    init(url: String) throws(LedgerError) {
        redacted = LedgerLocation.postgres(url: url).description
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw .unavailable("\(redacted): not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .unavailable("\(redacted): names no host: write postgres://user:password@host:port/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .unavailable("\(redacted): names no user: write postgres://user:password@host:port/database")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? 5432
        username = user
        password = components.password
        let name = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = name.isEmpty ? nil : name
        encryption = .disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable", "allow", "prefer": encryption = .disable
                case let mode:
                    guard let known = Encryption(rawValue: mode) else {
                        throw .unavailable("\(redacted): sslmode=\(mode) is not disable, require, verify-ca or verify-full")
                    }
                    encryption = known
                }
            case "schema":
                // Several ledgers in one database, each in a PostgreSQL schema of its own.
                let name = item.value ?? ""
                guard PostgresSettings.isPlainName(name) else {
                    throw .unavailable("\(redacted): schema=\(name) is not lowercase letters, digits and _")
                }
                namespace = name
            default:
                throw .unavailable("\(redacted): unknown parameter \(item.name) (only sslmode and schema are understood)")
            }
        }
    }

    /// A name safe to put in SQL unquoted: 1-63 lowercase ASCII letters, digits and _, not starting with a digit.
    static func isPlainName(_ name: String) -> Bool {
        guard (1...63).contains(name.utf8.count), let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The pool's configuration: a few connections, connecting within `connectTimeout`.
    ///
    /// `lockTimeout`, when given, bounds each wait for a lock (`lock_timeout`): the pool that
    /// writes first uses gets `writerLockTimeout`, so that a batch stuck behind one invitation's
    /// row is given up and its first uses sent again alone (`FirstUseBatches`).
    func configuration(connectTimeout: Duration, maximumConnections: Int = 16, lockTimeout: Duration? = nil) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectionIdleTimeout = .seconds(60)
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(30))
        configuration.options.additionalStartupParameters = startupParameters
            + (lockTimeout.map { [("lock_timeout", "\(TimeAmount($0).nanoseconds / 1_000_000)ms")] } ?? [])
        return configuration
    }

    /// How long a first-use statement waits for an invitation's row before it is given up and tried again.
    static let writerLockTimeout: Duration = .seconds(1)

    /// The schema, and a bound on every statement: a first use stuck for longer (behind a row lock) fails rather than
    /// commits, long before `ledger prune` may remove the attempt id that answered it "nothing granted" (an hour).
    private var startupParameters: [(String, String)] {
        [("statement_timeout", "\(Self.statementTimeoutSeconds)s")] + (namespace.map { [("search_path", $0)] } ?? [])
    }

    /// Far above every deadline (a listing's is a minute), far below the attempt ids' retention.
    static let statementTimeoutSeconds = 600

    /// One connection's configuration, outside any pool, with the same server, schema and encryption.
    func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        let connectionTLS: PostgresConnection.Configuration.TLS
        if let context = tlsContext { connectionTLS = .require(try NIOSSLContext(configuration: context)) } else { connectionTLS = .disable }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: connectionTLS)
        configuration.options.connectTimeout = TimeAmount(connectTimeout)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// The TLS settings for `encryption`, or nil when nothing is encrypted.
    private var tlsContext: TLSConfiguration? {
        var context = TLSConfiguration.makeClientConfiguration()
        switch encryption {
        case .disable: return nil
        case .require: context.certificateVerification = .none
        case .verifyCA: context.certificateVerification = .noHostnameVerification
        case .verifyFull: context.certificateVerification = .fullVerification
        }
        return context
    }

    private var tls: PostgresClient.Configuration.TLS { tlsContext.map { .require($0) } ?? .disable }
}
