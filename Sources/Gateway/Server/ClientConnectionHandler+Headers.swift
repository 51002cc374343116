import Foundation
import Common
import NIOCore
import NIOHTTP1

extension ClientConnectionHandler {
    /// The request as the service gets it, written by the gateway from what it parsed and checked:
    /// its own framing (the length of the body it buffered, never the client's `Content-Length` or
    /// `Transfer-Encoding`), the one token it checked (or, on a route that passes one, the request's)
    /// as `Authorization: Bearer`, the path it routed without any fragment, and `Host`,
    /// `X-Forwarded-*` and the request id of its own. Of the client's other headers, connection-level
    /// ones, identity claims and any named in `Connection` stay here; `Connection` cannot remove
    /// what the gateway writes or `Content-Type` (``HeaderFilter/outlivesConnectionOption(_:)``).
    func upstreamHead(for exchange: Exchange, authority: String) -> HTTPRequestHead {
        let request = exchange.head
        let listedInConnection = HeaderFilter.connectionTokens(request.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 6)
        for (name, value) in request.headers {
            if HeaderFilter.dropsFromRequests(name) {
                continue
            }
            if listedInConnection.contains(name), !HeaderFilter.outlivesConnectionOption(name) {
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
        if let token = exchange.forwardedToken {
            headers.add(name: "authorization", value: "Bearer " + token)
        }
        // HEAD is asked as GET, whose head is the answer: the services need not implement HEAD.
        let method: HTTPMethod = request.method == .HEAD ? .GET : request.method
        let bodyLength = exchange.pendingBody.reduce(0) { $0 + $1.readableBytes }
        if bodyLength > 0 || method == .POST || method == .PUT || method == .PATCH {
            headers.add(name: "content-length", value: String(bodyLength))
        }
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
            if name.utf8.equalsLowercaseASCII(RevocationStream.positionHeader.utf8) {
                position = StreamID(value)
                continue
            }
            if HeaderFilter.dropsFromResponses(name) || listedInConnection.contains(name) {
                continue
            }
            if name.equalsLowercaseASCII("content-length") { hasLength = true }
            headers.add(name: name, value: value)
        }
        if !hasLength, exchange.head.version == .http1_0, !exchange.isHEAD {
            // No chunked encoding for HTTP/1.0: the body ends when the connection does.
            exchange.keepAlive = false
        }
        return (HTTPResponseHead(version: exchange.head.version, status: upstream.status, headers: headers), position)
    }
}
