import Common
import Foundation
import NIOCore
import NIOHTTP1

extension ClientConnectionHandler: UpstreamResponseReceiver {
    // MARK: Checks before anything reaches a service

    /// Runs the route's checks (per-address limit, or token), then sends the request upstream.
    func forward(_ exchange: Exchange, route: GatewayRoute) {
        exchange.forwardedToken = route.passesToken ? exchange.credential.token : nil
        if let action = route.rateLimited {
            let client = self.shared.clientAddresses.clientAddress(peerIP: self.peerIP, headers: exchange.head.headers)
            let limit = self.shared.rateLimit
            let logger = self.shared.logger
            self.resume(exchange, after: { await limit.check(action, client: client, logger: logger) }) { handler, decision in
                if case .limited(let retryAfter) = decision {
                    handler.respond(LocalResponse(.tooManyRequests(retryAfter: retryAfter)), to: exchange)
                } else {
                    handler.connectUpstream(for: exchange, route: route)
                }
            }
            return
        }
        if route.requiresToken {
            self.checkToken(of: exchange, route: route, afterKeyRefresh: false)
            return
        }
        self.connectUpstream(for: exchange, route: route)
    }

    private func checkToken(of exchange: Exchange, route: GatewayRoute, afterKeyRefresh: Bool) {
        let token = exchange.credential.token
        switch self.shared.gate.check(token: token, state: self.state, wallClock: Date().timeIntervalSince1970, now: .now()) {
        case .pass:
            exchange.forwardedToken = token
            self.connectUpstream(for: exchange, route: route)
        case .refuse(let error):
            self.respond(LocalResponse(error), to: exchange)
        case .unknownKey where afterKeyRefresh:
            AuthMetrics.tokenRefused("unknownKey")
            self.respond(LocalResponse(.unauthorized), to: exchange)
        case .unknownKey:
            // A key published since our last look? Look again (rate-limited), then decide. The new
            // keys reach this loop before this continuation does: both are queued on it in order.
            let keys = self.shared.keys
            self.resume(exchange, after: { _ = await keys.refreshedKeys() }) { handler, _ in
                handler.checkToken(of: exchange, route: route, afterKeyRefresh: true)
            }
        }
    }

    /// Runs `work` off the loop and continues with `then` back on it, unless the exchange is over.
    private func resume<T: Sendable>(
        _ exchange: Exchange,
        after work: @escaping @Sendable () async -> T,
        then: @escaping (ClientConnectionHandler, T) -> Void
    ) {
        let loop = self.context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let continuation = NIOLoopBound((exchange, then), eventLoop: loop)
        Task {
            let result = await work()
            loop.execute {
                let (exchange, then) = continuation.value
                guard handler.value.exchange === exchange, handler.value.context != nil else { return }
                then(handler.value, result)
            }
        }
    }

    // MARK: The upstream exchange

    /// Asks for an upstream connection once the whole request is here: a service never sees a
    /// request its client did not finish, and a slow client holds no upstream connection.
    func connectUpstream(for exchange: Exchange, route: GatewayRoute) {
        guard exchange.requestEnded else {
            exchange.phase = .bufferingBody
            return
        }
        guard let pool = self.state.upstreams.pool(for: route.target) else { return }
        exchange.phase = .connecting
        exchange.upstreamPool = pool
        pool.acquire(now: .now()) { result in
            guard self.exchange === exchange, exchange.phase == .connecting else {
                // The client went away meanwhile: the connection is unused, and goes back.
                if case .success(let acquired) = result { pool.release(acquired.connection, now: .now()) }
                return
            }
            switch result {
            case .success(let acquired):
                exchange.upstreamReused = acquired.reused
                self.send(exchange, on: acquired.connection)
            case .failure(let error):
                self.upstreamUnavailable(exchange, reason: "\(error)")
            }
        }
    }

    private func send(_ exchange: Exchange, on connection: UpstreamConnection) {
        exchange.upstream = connection
        exchange.phase = .forwarding
        connection.attach(self)
        connection.write(.head(self.upstreamHead(for: exchange, authority: exchange.upstreamPool?.address.authority ?? "")))
        for part in exchange.pendingBody {
            connection.write(.body(.byteBuffer(part)))
        }
        exchange.pendingBody.removeAll()
        exchange.upstreamRequestWritten = false
        let written = connection.channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenSuccess { exchange.upstreamRequestWritten = true }
        connection.write(.end(nil), promise: written)
        connection.flush()
        exchange.upstreamDeadline = .now() + self.shared.upstreamTimeout
    }

    func forwardBody(_ part: ByteBuffer, of exchange: Exchange) {
        switch exchange.phase {
        case .checking, .bufferingBody:
            exchange.pendingBody.append(part)
        case .connecting, .forwarding, .done:
            break  // answered already: the rest of the body is read and dropped
        }
    }

    /// The request is complete: if its checks passed meanwhile, it goes upstream now.
    func forwardEnd(of exchange: Exchange) {
        guard exchange.phase == .bufferingBody, let route = exchange.route else { return }
        self.connectUpstream(for: exchange, route: route)
    }

    /// The service has not started its answer within `UPSTREAM_TIMEOUT`.
    func upstreamTookTooLong(_ exchange: Exchange) {
        guard self.exchange === exchange, !exchange.responseStarted, exchange.heldResponse == nil else { return }
        self.abortUpstream(of: exchange)
        self.upstreamUnavailable(exchange, reason: "no answer within UPSTREAM_TIMEOUT")
    }

    /// Drops the upstream side of an exchange that will not complete: its connection carries a
    /// half-sent request or an unread response, so it is closed, never pooled.
    func abortUpstream(of exchange: Exchange) {
        exchange.upstreamDeadline = nil
        if let upstream = exchange.upstream {
            exchange.upstream = nil
            upstream.close()
        }
        if exchange.phase != .done { exchange.phase = .done }
    }

    private func upstreamUnavailable(_ exchange: Exchange, reason: String) {
        self.shared.logger.warning(
            "Upstream unavailable",
            metadata: ["request_id": "\(exchange.requestID)", "upstream": "\(exchange.upstreamPool?.address.authority ?? "?")", "error": "\(reason)"]
        )
        self.respond(LocalResponse(.serviceUnavailable), to: exchange)
    }

    // MARK: UpstreamResponseReceiver

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let exchange = self.exchange, exchange.phase == .forwarding, let upstream = exchange.upstream else { return }
        switch part {
        case .head(let head):
            exchange.upstreamDeadline = nil
            let (clientHead, position) = self.clientHead(from: head, for: exchange)
            if let position {
                // The service revoked something: answer once this gateway enforces it too.
                exchange.heldResponse = [.head(clientHead)]
                self.state.revocations.whenApplied(position, timeout: GatewayConnectionContext.revocationWait, on: self.context.eventLoop) {
                    self.releaseHeldResponse(of: exchange)
                }
            } else {
                self.writeHead(clientHead, for: exchange)
            }
            exchange.upstreamKeepsAlive = head.isKeepAlive
            exchange.flushesBody = Int(head.headers.first(name: "content-length") ?? "") ?? .max > 64 * 1024
        case .body(let body):
            if exchange.heldResponse != nil {
                exchange.heldResponse?.append(.body(.byteBuffer(body)))
                return
            }
            self.writeBody(body, for: exchange, flush: exchange.flushesBody)
            if exchange.flushesBody, !self.context.channel.isWritable {
                exchange.clientPausedUpstream = true
                upstream.setReading(false)
            }
        case .end:
            exchange.upstream = nil
            upstream.attach(nil)
            // Reused only after a clean exchange: the whole request out before the whole answer came
            // back. An answer that came early leaves the service reading a request we cut short.
            if exchange.upstreamKeepsAlive, exchange.upstreamRequestWritten, let pool = exchange.upstreamPool {
                pool.release(upstream, now: .now())
            } else {
                upstream.close()
            }
            if exchange.heldResponse != nil {
                exchange.heldResponse?.append(.end(nil))
            } else {
                self.writeEnd(for: exchange)
            }
        }
    }

    func upstreamFailed(responseStarted: Bool) {
        guard let exchange = self.exchange, exchange.phase == .forwarding else { return }
        exchange.upstream = nil
        exchange.upstreamDeadline = nil
        if exchange.responseStarted || exchange.heldResponse != nil {
            // Part of the answer is out: the client must see that it was cut short.
            self.closing = true
            self.context.close(promise: nil)
            return
        }
        let idempotent = exchange.head.method == .GET || exchange.head.method == .HEAD
        if !responseStarted, exchange.upstreamReused, !exchange.retried, idempotent, exchange.body == .none, let pool = exchange.upstreamPool {
            // A pooled connection the service had closed (a restart, an idle timeout): once more on
            // a fresh one. Requests with a body are never repeated.
            exchange.retried = true
            exchange.upstreamReused = false
            exchange.phase = .connecting
            pool.connect { result in
                guard self.exchange === exchange, exchange.phase == .connecting else {
                    if case .success(let connection) = result { connection.close() }
                    return
                }
                switch result {
                case .success(let connection): self.send(exchange, on: connection)
                case .failure(let error): self.upstreamUnavailable(exchange, reason: "\(error)")
                }
            }
            return
        }
        exchange.phase = .done
        self.upstreamUnavailable(exchange, reason: "connection closed before the response")
    }

    private func releaseHeldResponse(of exchange: Exchange) {
        guard self.exchange === exchange, let held = exchange.heldResponse else { return }
        exchange.heldResponse = nil
        for part in held {
            switch part {
            case .head(let head): self.writeHead(head, for: exchange)
            case .body(.byteBuffer(let body)): self.writeBody(body, for: exchange, flush: false)
            case .body: break
            case .end: self.writeEnd(for: exchange)
            }
        }
        if !exchange.responseEnded { self.context.flush() }
    }
}
