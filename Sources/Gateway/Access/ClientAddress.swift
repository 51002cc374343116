import Foundation
import NIOCore
import NIOHTTP1

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `::1/128`, or a bare address).
struct IPNetwork: Sendable, Equatable {
    let bytes: [UInt8]
    let prefixLength: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let bytes = Self.parse(parts[0]) else { return nil }
        let maximum = bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maximum
        guard let prefix, (0...maximum).contains(prefix) else { return nil }
        self.bytes = bytes
        self.prefixLength = prefix
    }

    func contains(_ address: String) -> Bool {
        guard let other = Self.parse(address), other.count == self.bytes.count else { return false }
        var remaining = self.prefixLength
        for index in self.bytes.indices where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if self.bytes[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Address bytes via `inet_pton`: 4 for IPv4, 16 for IPv6.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// Finds the client's address, for rate limiting and for `X-Forwarded-For` to the services.
///
/// The peer is the client unless it is a configured trusted proxy (`TRUSTED_PROXIES`); then
/// `X-Forwarded-For` is read from the right, skipping trusted hops, and the first untrusted address
/// is the client. Entries left of it were written by the client and are never believed.
struct ClientAddressResolver: Sendable {
    let trustedProxies: [IPNetwork]

    /// `peerIP`: the connection's peer address, as ``SocketAddress/ipAddress`` spells it.
    func clientAddress(peerIP: String?, headers: HeaderFields) -> String {
        guard let peerIP else { return "unknown" }
        guard self.isTrusted(peerIP) else { return peerIP }
        return self.clientAddress(trustedPeer: peerIP, forwardedFor: headers.values(.xForwardedFor))
    }

    /// The client behind `peerIP`, a trusted proxy, by the `X-Forwarded-For` values it sent.
    func clientAddress(trustedPeer peerIP: String, forwardedFor: [String]) -> String {
        let forwarded = forwardedFor
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in forwarded.reversed() where !self.isTrusted(hop) {
            return IPNetwork.parse(hop) != nil ? hop : peerIP
        }
        return peerIP
    }

    private func isTrusted(_ address: String) -> Bool {
        self.trustedProxies.contains { $0.contains(address) }
    }
}
