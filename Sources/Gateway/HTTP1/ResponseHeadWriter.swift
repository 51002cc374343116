import Common
import NIOCore
import NIOHTTP1

/// How an answer's body is framed for the client.
enum ClientFraming: Equatable {
    /// No body follows the head (a HEAD request, 204, 304, or a length of 0 already written).
    case empty
    /// `Content-Length` bytes, passed on as they come.
    case length
    /// Each part as a chunk, then the last chunk (an HTTP/1.1 client, an answer of unknown length).
    case chunked
    /// Raw bytes until the connection closes (an HTTP/1.0 client, an answer of unknown length).
    case untilClose
}

/// Writes the head of an answer to the client, as bytes: a service's head with the fields that stop
/// at the gateway removed, or a local answer; then the gateway's own fields (the request id, CORS,
/// `Connection` as the client connection will go on) and the framing the gateway chose.
struct ResponseHeadWriter {
    var version: HTTPVersion
    var requestID: String
    var cors: CORSPolicy
    var origin: String?
    /// The connection closes after this answer (`Connection: close` is written).
    var closes: Bool

    /// The head of a service's answer. Returns how the body is to be framed for the client and the
    /// revocation position the service announced, if any (a header that never reaches the client).
    func write(
        _ head: ResponseHead, isHEAD: Bool, into out: inout ByteBuffer
    ) -> (framing: ClientFraming, closes: Bool, position: StreamID?) {
        self.writeStatusLine(head.statusLine, into: &out)
        let headers = head.headers
        let listedInConnection = HeaderFilter.connectionTokens(headers)
        var position: StreamID?
        var vary: [String] = []
        var allowsOrigin = false
        for field in headers.fields {
            switch field.name {
            case .vary:
                vary.append(headers.value(of: field))
                continue
            case .contentLength:
                continue  // the gateway writes the framing it chose
            case .revocationPosition:
                position = StreamID(headers.value(of: field))
                continue
            case .accessControlAllowOrigin:
                allowsOrigin = true
            default:
                break
            }
            if HeaderFilter.dropsFromResponses(field.name) { continue }
            if !listedInConnection.isEmpty, listedInConnection.contains(headers.nameBytes(of: field)) { continue }
            out.writeBytes(headers.line(of: field))
            out.writeStaticString("\r\n")
        }
        var framing: ClientFraming
        var closes = self.closes
        switch head.framing {
        case .empty:
            framing = .empty
            if head.status >= 200, head.status != 204, head.status != 304 { out.writeStaticString("content-length: 0\r\n") }
        case .length(let length):
            framing = .length
            out.writeStaticString("content-length: ")
            out.writeString(String(length))
            out.writeStaticString("\r\n")
        case .chunked, .untilClose:
            if self.version.minor >= 1 {
                framing = .chunked
                out.writeStaticString("transfer-encoding: chunked\r\n")
            } else {
                // No chunked coding for HTTP/1.0: the body ends when the connection does.
                framing = .untilClose
                closes = true
            }
        }
        if isHEAD { framing = .empty }
        self.cors.writeFields(vary: vary, serviceAllowsOrigin: allowsOrigin, origin: self.origin, into: &out)
        self.writeOwnFields(closes: closes, into: &out)
        return (framing, closes, position)
    }

    /// The head of a local answer (an error, a preflight, the welcome, health).
    func write(_ response: LocalResponse, into out: inout ByteBuffer) {
        out.writeStaticString(self.version.minor >= 1 ? "HTTP/1.1 " : "HTTP/1.0 ")
        out.writeString(String(response.status.code))
        out.writeStaticString(" ")
        out.writeString(response.status.reasonPhrase)
        out.writeStaticString("\r\n")
        var vary: [String] = []
        for (name, value) in response.headers {
            if name.equalsLowercaseASCII("vary") {
                vary.append(value)
                continue
            }
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        if response.status != .noContent, response.status != .notModified {
            out.writeStaticString("content-length: ")
            out.writeString(String(response.body.readableBytes))
            out.writeStaticString("\r\n")
        }
        self.cors.writeFields(
            vary: vary, serviceAllowsOrigin: response.headers.contains(name: "access-control-allow-origin"), origin: self.origin, into: &out
        )
        self.writeOwnFields(closes: self.closes, into: &out)
    }

    private func writeStatusLine(_ statusLine: ByteBufferView, into out: inout ByteBuffer) {
        out.writeStaticString(self.version.minor >= 1 ? "HTTP/1.1 " : "HTTP/1.0 ")
        out.writeBytes(statusLine)
        out.writeStaticString("\r\n")
    }

    private func writeOwnFields(closes: Bool, into out: inout ByteBuffer) {
        out.writeStaticString("x-request-id: ")
        out.writeString(self.requestID)
        if closes {
            out.writeStaticString("\r\nconnection: close\r\n\r\n")
        } else if self.version.minor == 0 {
            out.writeStaticString("\r\nconnection: keep-alive\r\n\r\n")
        } else {
            out.writeStaticString("\r\n\r\n")
        }
    }
}
