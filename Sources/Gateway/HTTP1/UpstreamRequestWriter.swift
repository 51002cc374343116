import NIOCore
import NIOHTTP1

/// Writes the request a service receives, as bytes, from what the gateway parsed and checked: its
/// own framing (the length of the body it buffered, never the client's `Content-Length` or
/// `Transfer-Encoding`), the one token it checked (or, on a route that passes one, the request's)
/// as `Authorization: Bearer`, the routed path without any fragment, and `Host`, `X-Forwarded-*` and
/// the request id of its own. Of the client's other fields, connection-level ones, identity claims
/// and any named in `Connection` stay behind; `Connection` cannot remove `Content-Type`
/// (``HeaderFilter/outlivesConnectionOption(_:)``). Field lines that pass are copied as received:
/// the parser let through none that could hold CR or LF.
struct UpstreamRequestWriter {
    var authority: String
    var clientAddress: String
    var requestID: String
    var token: String?
    /// `cookie: name=value`: the refresh cookie, for the routes that read it (cookie mode).
    var refreshCookie: (name: String, value: String)?
    /// The gateway's own `traceparent` / `tracestate` when it traces (``RequestTrace``), written in
    /// place of the client's; empty: the client's pass as any other field.
    var traceFields: [(name: String, value: String)] = []

    func write(_ head: RequestHead, target: Substring, body: ByteBuffer?, into out: inout ByteBuffer) {
        // HEAD is asked as GET, whose head is the answer: the services need not implement HEAD.
        let method: HTTPMethod = head.method == .HEAD ? .GET : head.method
        out.writeString(method.rawValue)
        out.writeStaticString(" ")
        out.writeSubstring(target)
        out.writeStaticString(" HTTP/1.1\r\nhost: ")
        out.writeString(self.authority)
        out.writeStaticString("\r\n")
        let headers = head.headers
        let listedInConnection = HeaderFilter.connectionTokens(headers)
        var host: ByteBufferView?
        for field in headers.fields {
            if field.name == .host { host = headers.valueBytes(of: field) }
            if HeaderFilter.dropsFromRequests(field.name) { continue }
            if !self.traceFields.isEmpty, field.name == .traceparent || field.name == .tracestate { continue }
            if !listedInConnection.isEmpty, listedInConnection.contains(headers.nameBytes(of: field)),
                !HeaderFilter.outlivesConnectionOption(field.name)
            {
                continue
            }
            out.writeBytes(headers.line(of: field))
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("x-forwarded-for: ")
        out.writeString(self.clientAddress)
        out.writeStaticString("\r\nx-forwarded-proto: http\r\n")
        if let host {
            out.writeStaticString("x-forwarded-host: ")
            out.writeBytes(host)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("x-request-id: ")
        out.writeString(self.requestID)
        out.writeStaticString("\r\n")
        for field in self.traceFields {
            out.writeString(field.name)
            out.writeStaticString(": ")
            out.writeString(field.value)
            out.writeStaticString("\r\n")
        }
        if let token = self.token {
            out.writeStaticString("authorization: Bearer ")
            out.writeString(token)
            out.writeStaticString("\r\n")
        }
        if let cookie = self.refreshCookie {
            out.writeStaticString("cookie: ")
            out.writeString(cookie.name)
            out.writeStaticString("=")
            out.writeString(cookie.value)
            out.writeStaticString("\r\n")
        }
        let length = body?.readableBytes ?? 0
        if length > 0 || method == .POST || method == .PUT || method == .PATCH {
            out.writeStaticString("content-length: ")
            out.writeString(String(length))
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
        if var body {
            out.writeBuffer(&body)
        }
    }
}
