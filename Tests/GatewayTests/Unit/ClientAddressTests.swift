@testable import Gateway
import NIOCore
import NIOHTTP1
import Testing

@Suite("The client address believes X-Forwarded-For only from trusted proxies")
struct ClientAddressTests {
    private func resolve(peer: String?, trusted: [String], forwardedFor: [String] = []) throws -> String {
        let resolver = ClientAddressResolver(trustedProxies: try trusted.map { try #require(IPNetwork($0)) })
        let headers = HeaderFields.parsed(forwardedFor.map { ("x-forwarded-for", $0) })
        let address = try peer.map { try SocketAddress(ipAddress: $0, port: 40_000) }
        return resolver.clientAddress(peerIP: address?.ipAddress, headers: headers)
    }

    @Test("without trusted proxies the peer is the client, whatever X-Forwarded-For says")
    func untrustedPeer() throws {
        #expect(try self.resolve(peer: "203.0.113.7", trusted: [], forwardedFor: ["1.2.3.4"]) == "203.0.113.7")
        #expect(try self.resolve(peer: "203.0.113.7", trusted: ["10.0.0.0/8"], forwardedFor: ["1.2.3.4"]) == "203.0.113.7")
    }

    @Test("behind a trusted proxy the rightmost untrusted hop is the client; entries left of it are ignored")
    func trustedProxy() throws {
        let trusted = ["10.0.0.0/8"]
        #expect(try self.resolve(peer: "10.0.0.2", trusted: trusted, forwardedFor: ["198.51.100.9"]) == "198.51.100.9")
        #expect(try self.resolve(peer: "10.0.0.2", trusted: trusted, forwardedFor: ["6.6.6.6, 198.51.100.9, 10.1.2.3"]) == "198.51.100.9")
        #expect(try self.resolve(peer: "10.0.0.2", trusted: trusted, forwardedFor: ["6.6.6.6", "198.51.100.9"]) == "198.51.100.9")
    }

    @Test("a trusted proxy with no, junk or only trusted X-Forwarded-For counts as the client itself")
    func trustedProxyWithoutHeader() throws {
        let trusted = ["10.0.0.0/8"]
        #expect(try self.resolve(peer: "10.0.0.2", trusted: trusted) == "10.0.0.2")
        #expect(try self.resolve(peer: "10.0.0.2", trusted: trusted, forwardedFor: ["not-an-ip"]) == "10.0.0.2")
        #expect(try self.resolve(peer: "10.0.0.2", trusted: trusted, forwardedFor: ["10.9.9.9"]) == "10.0.0.2")
    }

    @Test("IPv6 peers and hops resolve the same way")
    func ipv6() throws {
        #expect(try self.resolve(peer: "::1", trusted: ["::1"], forwardedFor: ["2001:db8::7"]) == "2001:db8::7")
        #expect(try self.resolve(peer: "2001:db8::9", trusted: ["::1"], forwardedFor: ["2001:db8::7"]) == "2001:db8::9")
    }

    @Test("no peer address at all is one shared 'unknown' client")
    func noPeer() throws {
        #expect(try self.resolve(peer: nil, trusted: [], forwardedFor: ["1.2.3.4"]) == "unknown")
    }

    @Test("networks match by prefix for IPv4 and IPv6, and never across families")
    func networks() throws {
        let v4 = try #require(IPNetwork("192.168.4.0/22"))
        #expect(v4.contains("192.168.7.255"))
        #expect(!v4.contains("192.168.8.0"))
        #expect(!v4.contains("::ffff:192.168.4.1"))
        let single = try #require(IPNetwork("127.0.0.1"))
        #expect(single.contains("127.0.0.1"))
        #expect(!single.contains("127.0.0.2"))
        let v6 = try #require(IPNetwork("fd00::/8"))
        #expect(v6.contains("fd12:3456::1"))
        #expect(!v6.contains("fe80::1"))
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains("8.8.8.8"))
        #expect(!(try #require(IPNetwork("0.0.0.0/0")).contains("::1")))
    }

    @Test("malformed networks are refused", arguments: ["", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "example.com", "10.0.0.0/-1", "10.0.0.0/x"])
    func malformedNetworks(text: String) {
        #expect(IPNetwork(text) == nil)
    }
}
