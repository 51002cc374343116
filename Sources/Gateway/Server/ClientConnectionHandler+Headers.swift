import Foundation
import Common
import NIOCore
import NIOHTTP1

extension ClientConnectionHandler {
    /// The request as the service gets it: connection-level headers and anything a client could
    /// claim about identity or forwarding dropped; `Host`, `X-Forwarded-*` and the request id set by us.
    func upstreamHead(for exchange: Exchange, authority: String) -> HTTPRequestHead {
        let request = exchange.head
        let listedInConnection = HeaderFilter.connectionTokens(request.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 5)
        for (name, value) in request.headers {
            let lowered = name.lowercased()
            if HeaderFilter.droppedFromRequests.contains(lowered) || lowered.hasPrefix("x-forwarded-") || listedInConnection.contains(lowered) {
                continue
            }
            headers.add(name: name, value: value)
        }
        headers.add(name: "host", value: authority)
        headers.add(name: "x-forwarded-for", value: self.shared.clientAddresses.clientAddress(peerIP: self.peerIP, headers: request.headers))
        headers.add(name: "x-forwarded-proto", value: "http")
        if let host = request.headers.first(name: "host") {
            headers.add(name: "x-forwarded-host", value: host)
        }
        headers.add(name: "x-request-id", value: exchange.requestID)
        if exchange.body == .chunked {
            headers.add(name: "transfer-encoding", value: "chunked")
        }
        // HEAD is asked as GET, whose head is the answer: the services need not implement HEAD.
        let method: HTTPMethod = request.method == .HEAD ? .GET : request.method
        return HTTPRequestHead(version: .http1_1, method: method, uri: String(RequestHeadCheck.originForm(of: request.uri)), headers: headers)
    }

    /// The service's response head as the client gets it, and the revocation position it announced.
    func clientHead(from upstream: HTTPResponseHead, for exchange: Exchange) -> (HTTPResponseHead, StreamID?) {
        let listedInConnection = HeaderFilter.connectionTokens(upstream.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.headers.count + 6)
        var position: StreamID?
        var hasLength = false
        for (name, value) in upstream.headers {
            let lowered = name.lowercased()
            if lowered == RevocationStream.positionHeader {
                position = StreamID(value)
                continue
            }
            if HeaderFilter.droppedFromResponses.contains(lowered) || listedInConnection.contains(lowered) {
                continue
            }
            if lowered == "content-length" { hasLength = true }
            headers.add(name: name, value: value)
        }
        if !hasLength, exchange.head.version == .http1_0, !exchange.isHEAD {
            // No chunked encoding for HTTP/1.0: the body ends when the connection does.
            exchange.keepAlive = false
        }
        return (HTTPResponseHead(version: exchange.head.version, status: upstream.status, headers: headers), position)
    }
}

/// Which headers stop at the gateway.
enum HeaderFilter {
    /// Connection-level headers (RFC 9110 §7.6.1), `Host` (set for the service), the request id (set
    /// by us), and identity a client could claim in a header: no service trusts them, and we do not
    /// forward them.
    static let droppedFromRequests: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization", "host", "expect", "forwarded", "x-request-id",
        "x-user-id", "x-user-roles", "x-user", "x-authenticated-user", "x-authenticated-userid",
        "x-forwarded-user", "x-remote-user", "remote-user", "x-auth-user", "x-consumer-id", "x-consumer-username",
    ]

    /// Connection-level headers, and `Server`, which says nothing a client needs.
    static let droppedFromResponses: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "server", "x-request-id",
    ]

    /// Header names listed in `Connection` (hop-by-hop by declaration), lower-cased.
    static func connectionTokens(_ headers: HTTPHeaders) -> Set<String> {
        var tokens = Set<String>()
        for value in headers["connection"] {
            for token in value.split(separator: ",") {
                let name = token.trimmingCharacters(in: .whitespaces).lowercased()
                if name != "close", name != "keep-alive", !name.isEmpty { tokens.insert(name) }
            }
        }
        return tokens
    }
}
