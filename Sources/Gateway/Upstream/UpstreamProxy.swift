import Foundation
import AsyncHTTPClient
import Common
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Forwards a request to a service over pooled keep-alive connections, streaming both bodies.
///
/// Hop-by-hop headers and any identity header a client made up are dropped on the way in; the
/// request id and `X-Forwarded-*` are set. An upstream that cannot be reached answers 503 quickly.
struct UpstreamProxy: Sendable {
    let httpClient: HTTPClient
    /// The fast path for bodiless requests; `nil` sends everything through `httpClient`.
    let keepAliveClient: KeepAliveUpstreamClient?
    let baseURL: String
    let maxBodyBytes: Int
    let timeout: TimeAmount

    /// Responses up to this size are buffered rather than streamed.
    static let bufferedResponseLimit = 64 * 1024

    /// Never forwarded: connection-level headers (RFC 9110 §7.6.1) and `Host`, which AHC sets.
    static let hopByHopHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization", "host",
    ]

    /// Identity a client could claim in a header; no service trusts them, and we do not forward them.
    static let identityHeaders: Set<String> = [
        "x-user-id", "x-user-roles", "x-user", "x-authenticated-user", "x-authenticated-userid",
        "x-forwarded-user", "x-remote-user", "remote-user", "x-auth-user", "x-consumer-id", "x-consumer-username",
    ]

    func forward(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > self.maxBodyBytes {
            throw APIError.bodyTooLarge
        }
        if let fast = self.keepAliveClient, Self.hasNoBody(request) {
            return try await self.forwardBodiless(request, context: context, client: fast)
        }
        var upstreamRequest = HTTPClientRequest(url: self.baseURL + (request.uri.description.hasPrefix("/") ? request.uri.description : "/"))
        upstreamRequest.method = HTTPMethod(rawValue: request.method.rawValue)
        upstreamRequest.headers = self.forwardedHeaders(request, context: context)
        if request.method == .post || request.method == .put || request.method == .patch {
            if let length = request.headers[.contentLength].flatMap(Int.init) {
                upstreamRequest.body = .stream(request.body, length: .known(Int64(length)))
            } else {
                // No declared length: read it (bounded) rather than stream an unbounded chunked body.
                let body = try await request.body.collect(upTo: self.maxBodyBytes)
                upstreamRequest.body = .bytes(body)
            }
        }
        let response: HTTPClientResponse
        do {
            response = try await self.execute(upstreamRequest, retryable: request.method == .get || request.method == .head, context: context)
        } catch let error as HTTPError {
            throw error
        } catch {
            context.logger.warning("Upstream unavailable", metadata: ["upstream": "\(self.baseURL)", "error": "\(error)"])
            throw APIError(.serviceUnavailable, "Service temporarily unavailable")
        }
        var headers = HTTPFields()
        for header in response.headers where Self.isForwardedResponseHeader(header.name) {
            if let name = HTTPField.Name(header.name) {
                headers.append(HTTPField(name: name, value: header.value))
            }
        }
        let status = HTTPResponse.Status(code: Int(response.status.code))
        // Small bodies of known length (every answer of our services) are read whole: Hummingbird
        // then writes head and body in one go, which is markedly cheaper than a stream.
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length <= Self.bufferedResponseLimit {
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.bufferedResponseLimit)
            } catch {
                context.logger.warning("Upstream response cut short", metadata: ["upstream": "\(self.baseURL)", "error": "\(error)"])
                throw APIError(.badGateway, "Bad gateway")
            }
            return Response(status: status, headers: headers, body: .init(byteBuffer: body))
        }
        return Response(status: status, headers: headers, body: ResponseBody(asyncSequence: response.body))
    }

    static func hasNoBody(_ request: Request) -> Bool {
        (request.method == .get || request.method == .head)
            && (request.headers[.contentLength] ?? "0") == "0"
            && request.headers[.transferEncoding] == nil
    }

    /// GET and HEAD over the per-event-loop keep-alive pool, response buffered.
    private func forwardBodiless(_ request: Request, context: AppRequestContext, client: KeepAliveUpstreamClient) async throws -> Response {
        var headers = self.forwardedHeaders(request, context: context)
        headers.replaceOrAdd(name: "Host", value: client.hostHeader)
        let path = request.uri.description.hasPrefix("/") ? request.uri.description : "/"
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue), uri: path, headers: headers)
        let response: UpstreamResponse
        do {
            response = try await client.execute(head, timeout: self.timeout)
        } catch let error as UpstreamExchangeError where error.code != .staleConnection {
            context.logger.warning("Upstream answered badly", metadata: ["upstream": "\(self.baseURL)", "error": "\(error.code)"])
            throw APIError(.badGateway, "Bad gateway")
        } catch {
            context.logger.warning("Upstream unavailable", metadata: ["upstream": "\(self.baseURL)", "error": "\(error)"])
            throw APIError.serviceUnavailable
        }
        var fields = HTTPFields()
        for header in response.head.headers where Self.isForwardedResponseHeader(header.name) {
            if let name = HTTPField.Name(header.name) {
                fields.append(HTTPField(name: name, value: header.value))
            }
        }
        return Response(status: HTTPResponse.Status(code: Int(response.head.status.code)), headers: fields, body: .init(byteBuffer: response.body))
    }

    static func isForwardedResponseHeader(_ name: String) -> Bool {
        let name = name.lowercased()
        return !Self.hopByHopHeaders.contains(name) && name != "server" && name != "date"
    }

    /// Sends the request; an idempotent one is sent once more when its pooled keep-alive connection
    /// turned out to be closed by the upstream (a replica stopping, an idle timeout), so a rolling
    /// restart loses no GET. Requests with a body are never repeated.
    private func execute(_ request: HTTPClientRequest, retryable: Bool, context: AppRequestContext) async throws -> HTTPClientResponse {
        do {
            return try await self.httpClient.execute(request, timeout: self.timeout, logger: context.logger)
        } catch where retryable && Self.isStaleConnection(error) {
            context.logger.debug("Retrying on a fresh upstream connection", metadata: ["error": "\(error)"])
            return try await self.httpClient.execute(request, timeout: self.timeout, logger: context.logger)
        }
    }

    static func isStaleConnection(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .remoteConnectionClosed
        }
        if let error = error as? ChannelError {
            return error == .ioOnClosedChannel || error == .eof || error == .alreadyClosed
        }
        if let error = error as? IOError {
            return error.errnoCode == ECONNRESET || error.errnoCode == EPIPE
        }
        return false
    }

    private func forwardedHeaders(_ request: Request, context: AppRequestContext) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for field in request.headers {
            let name = field.name.canonicalName
            if Self.hopByHopHeaders.contains(name) || Self.identityHeaders.contains(name) || name.hasPrefix("x-forwarded-") {
                continue
            }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let ip = context.remoteAddress?.ipAddress {
            headers.replaceOrAdd(name: "X-Forwarded-For", value: ip)
        }
        headers.replaceOrAdd(name: "X-Forwarded-Proto", value: "http")
        if let host = request.head.authority {
            headers.replaceOrAdd(name: "X-Forwarded-Host", value: host)
        }
        return headers
    }
}
