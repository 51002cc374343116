import Foundation
import Common
import NIOCore
import NIOHTTP1

extension ClientConnectionHandler {
    /// The request as the service gets it, head and body, as the bytes to send: connection-level
    /// headers and anything a client could claim about identity or forwarding dropped; `Host`,
    /// `X-Forwarded-*` and the request id set by us. A chunked body is all here by now, so it goes
    /// with its length instead.
    func upstreamRequest(for exchange: Exchange, authority: String) -> ByteBuffer {
        let request = exchange.head
        let listedInConnection = HeaderFilter.connectionTokens(request.headers)
        let bodyLength = exchange.pendingBody.reduce(0) { $0 + $1.readableBytes }
        var bytes = self.context.channel.allocator.buffer(capacity: 256 + request.uri.utf8.count + 64 * request.headers.count + bodyLength)
        // HEAD is asked as GET, whose head is the answer: the services need not implement HEAD.
        bytes.writeString(request.method == .HEAD ? "GET" : request.method.rawValue)
        bytes.writeStaticString(" ")
        bytes.writeSubstring(RequestHeadCheck.originForm(of: request.uri))
        bytes.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in request.headers {
            if HeaderFilter.dropsFromRequests(name) || (!listedInConnection.isEmpty && listedInConnection.contains(name.lowercased())) {
                continue
            }
            bytes.writeHeader(name, value)
        }
        bytes.writeHeader("host", authority)
        bytes.writeHeader("x-forwarded-for", self.shared.clientAddresses.clientAddress(peerIP: self.peerIP, headers: request.headers))
        bytes.writeHeader("x-forwarded-proto", "http")
        if let host = request.headers.first(name: "host") {
            bytes.writeHeader("x-forwarded-host", host)
        }
        bytes.writeHeader("x-request-id", exchange.requestID)
        if exchange.body == .chunked {
            bytes.writeHeader("content-length", String(bodyLength))
        }
        bytes.writeStaticString("\r\n")
        for part in exchange.pendingBody {
            bytes.writeImmutableBuffer(part)
        }
        return bytes
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
            if HeaderFilter.dropsFromResponses(name) || (!listedInConnection.isEmpty && listedInConnection.contains(name.lowercased())) {
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

extension ByteBuffer {
    /// `name: value` and CRLF. Names and values were parsed by llhttp (no CR, LF or NUL in them) or
    /// are the gateway's own, so nothing needs escaping.
    fileprivate mutating func writeHeader(_ name: String, _ value: String) {
        self.writeString(name)
        self.writeStaticString(": ")
        self.writeString(value)
        self.writeStaticString("\r\n")
    }
}
