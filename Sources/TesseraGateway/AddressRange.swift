#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address range in CIDR form (`127.0.0.0/8`, `::1`, `10.1.2.3`): the peers trusted as proxies.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The network address, 4 bytes for IPv4 or 16 for IPv6.
    public let network: [UInt8]
    /// How many leading bits must match.
    public let prefixLength: Int

    /// 127.0.0.0/8 and ::1: the default, so that only a proxy on the same machine is believed.
    public static let loopback: [AddressRange] = [AddressRange("127.0.0.0/8")!, AddressRange("::1")!]

    /// Parses `ADDRESS` or `ADDRESS/BITS`; nil when either part is malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.parseAddress(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        var bits = maximum
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(parts[1]), value <= maximum else { return nil }
            bits = value
        }
        network = Self.mask(address, bits: bits)
        prefixLength = bits
    }

    /// Whether an address (4 or 16 bytes) lies in the range; an IPv4-mapped IPv6 address counts as its IPv4 form.
    public func contains(_ address: [UInt8]) -> Bool {
        let candidate = Self.unmapped(address)
        guard candidate.count == network.count else { return false }
        return Self.mask(candidate, bits: prefixLength) == network
    }

    /// Whether a textual address lies in the range; false when it is not an IP address.
    public func contains(address text: String) -> Bool {
        guard let bytes = Self.parseAddress(text) else { return false }
        return contains(bytes)
    }

    /// The range as written on the command line, e.g. `10.0.0.0/8` or `::1`.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = network.count == 4 ? AF_INET : AF_INET6
        let text = network.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
                ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        }
        return prefixLength == network.count * 8 ? text : "\(text)/\(prefixLength)"
    }

    /// The bytes of an IPv4 or IPv6 literal (a zone such as `%eth0` is dropped), or nil.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        let literal = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, literal, &v4) == 1 { return v4 }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, literal, &v6) == 1 { return v6 }
        return nil
    }

    private static func unmapped(_ address: [UInt8]) -> [UInt8] {
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        if address.count == 16, address.starts(with: mappedPrefix) { return Array(address[12...]) }
        return address
    }

    private static func mask(_ address: [UInt8], bits: Int) -> [UInt8] {
        var result = address
        for index in result.indices {
            let keep = max(0, min(8, bits - index * 8))
            result[index] &= keep == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
        return result
    }
}
