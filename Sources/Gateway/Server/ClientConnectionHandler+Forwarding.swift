import Common
import Foundation
import NIOCore

extension ClientConnectionHandler: UpstreamResponseReceiver {
    // MARK: Checks before anything reaches a service

    /// Runs the route's checks (per-address limit, or token), then sends the request upstream.
    func forward(_ exchange: Exchange, route: GatewayRoute, target: Substring) {
        let facts = exchange.facts
        if exchange.cookies.present, facts.credential == .none,
            !CrossSiteRule.allows(
                method: exchange.head.method.rawValue, origin: facts.origin, contentType: facts.contentType, host: facts.host, cors: self.shared.cors
            )
        {
            // Cookies authenticate this request, and it may come from another site's page.
            exchange.check = .crossSiteRefused
            return self.respond(LocalResponse(CrossSiteRule.refused), to: exchange)
        }
        exchange.forwardedToken = route.passesToken ? exchange.credential.token : nil
        exchange.check = .publicRoute
        if let action = route.rateLimited {
            let client = self.clientAddress(of: exchange)
            let limit = self.shared.rateLimit
            let logger = self.shared.logger
            self.resume(exchange, after: { await limit.check(action, client: client, logger: logger) }) { handler, decision in
                if case .limited(let retryAfter) = decision {
                    exchange.check = .rateLimited
                    handler.respond(LocalResponse(.tooManyRequests(retryAfter: retryAfter)), to: exchange)
                } else {
                    handler.connectUpstream(for: exchange, route: route)
                }
            }
            return
        }
        if route.requiresToken {
            // Cookie signout goes on whatever the access cookie's verdict: the refresh cookie names the
            // session, and the answer clears both (a client that signs out on every 401 must not loop).
            let lenient = route.endsSession && exchange.cookies.present && facts.credential == .none
            self.checkToken(of: exchange, route: route, afterKeyRefresh: false, lenient: lenient)
            return
        }
        self.connectUpstream(for: exchange, route: route)
    }

    private func checkToken(of exchange: Exchange, route: GatewayRoute, afterKeyRefresh: Bool, lenient: Bool) {
        let token = exchange.credential.token
        switch self.shared.gate.check(token: token, state: self.state, wallClock: Date().timeIntervalSince1970, now: .now()) {
        case .pass(let claims) where self.shared.gate.lacksSecondFactor(claims, for: route):
            AuthMetrics.tokenRefused("second_factor_required")
            exchange.check = .secondFactorRequired
            self.respond(LocalResponse(AccessTokenGate.secondFactorRequired), to: exchange)
        case .pass:
            exchange.forwardedToken = token
            exchange.check = .tokenAccepted
            self.connectUpstream(for: exchange, route: route)
        case .refuse where lenient, .unknownKey where lenient && afterKeyRefresh:
            exchange.forwardedToken = nil
            self.connectUpstream(for: exchange, route: route)
        case .refuse(let error):
            exchange.check = .tokenRefused
            self.respond(LocalResponse(error), to: exchange)
        case .unknownKey where afterKeyRefresh:
            AuthMetrics.tokenRefused("unknownKey")
            exchange.check = .tokenRefused
            self.respond(LocalResponse(.unauthorized), to: exchange)
        case .unknownKey:
            // A key published since our last look? Look again (rate-limited), then decide. The new
            // keys reach this loop before this continuation does: both are queued on it in order.
            let keys = self.shared.keys
            self.resume(exchange, after: { _ = await keys.refreshedKeys() }) { handler, _ in
                handler.checkToken(of: exchange, route: route, afterKeyRefresh: true, lenient: lenient)
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
                guard handler.value.exchange === exchange, handler.value.context != nil, case .checking = exchange.phase else { return }
                then(handler.value, result)
            }
        }
    }

    /// The client's address for rate limits and `X-Forwarded-For`.
    func clientAddress(of exchange: Exchange) -> String {
        self.shared.clientAddresses.clientAddress(peerIP: self.peerIP, headers: exchange.head.headers)
    }

    // MARK: The upstream exchange

    /// Asks for an upstream connection once the whole request is here: a service never sees a
    /// request its client did not finish, and a slow client holds no upstream connection.
    func connectUpstream(for exchange: Exchange, route: GatewayRoute) {
        guard exchange.requestEnded else {
            exchange.phase = .awaitingBody
            return
        }
        guard let pool = self.state.upstreams.pool(for: route.target) else { return }
        let leg = UpstreamLeg(pool: pool)
        exchange.phase = .upstream(leg)
        pool.acquire(now: .now()) { result in
            guard self.exchange === exchange, case .upstream(let current) = exchange.phase, current === leg, leg.connection == nil else {
                // The client went away meanwhile: the connection is unused, and goes back.
                if case .success(let acquired) = result { pool.release(acquired.connection, now: .now()) }
                return
            }
            switch result {
            case .success(let acquired):
                leg.reused = acquired.reused
                self.send(exchange, leg: leg, on: acquired.connection)
            case .failure(let error):
                self.upstreamUnavailable(exchange, reason: "\(error)")
            }
        }
    }

    private func send(_ exchange: Exchange, leg: UpstreamLeg, on connection: UpstreamConnection) {
        leg.connection = connection
        leg.requestWritten = false
        let refreshCookie = exchange.route?.readsRefreshCookie == true ? exchange.cookies.refresh : nil
        let writer = UpstreamRequestWriter(
            authority: leg.pool.address.authority, clientAddress: self.clientAddress(of: exchange), requestID: exchange.requestID,
            token: exchange.forwardedToken, refreshCookie: refreshCookie.map { (self.shared.sessionCookies.refreshName, $0) },
            traceFields: exchange.trace?.forwardedFields ?? []
        )
        var request = self.context.channel.allocator.buffer(capacity: 512 + exchange.head.headers.bytes.readableBytes + (exchange.body?.readableBytes ?? 0))
        writer.write(exchange.head, target: RequestHeadCheck.originForm(of: exchange.head.target), body: exchange.body, into: &request)
        connection.send(request, to: self) { leg.requestWritten = true }
        exchange.sentBody = exchange.body != nil
        exchange.body = nil  // written: the budget has it back
        self.accountHeldBytes()
        leg.deadline = .now() + self.shared.upstreamTimeout
    }

    /// The service has not started its answer within `UPSTREAM_TIMEOUT`.
    func upstreamTookTooLong() {
        guard let exchange = self.exchange, let leg = exchange.upstream, !leg.answered else { return }
        self.abandonExchange()
        self.upstreamUnavailable(exchange, reason: "no answer within UPSTREAM_TIMEOUT")
    }

    /// Drops the upstream side of the exchange in progress, which will not complete: its connection
    /// carries a half-sent request or an unread response, so it is closed, never pooled.
    func abandonExchange() {
        guard let exchange = self.exchange else { return }
        if let leg = exchange.upstream {
            leg.deadline = nil
            leg.connection?.close()
            leg.connection = nil
        }
        exchange.phase = .done
    }

    private func upstreamUnavailable(_ exchange: Exchange, reason: String) {
        self.shared.logger.warning(
            "Upstream unavailable",
            metadata: ["request_id": "\(exchange.requestID)", "upstream": "\(exchange.upstream?.pool.address.authority ?? "?")", "error": "\(reason)"]
        )
        self.respond(LocalResponse(.serviceUnavailable), to: exchange)
    }

    // MARK: UpstreamResponseReceiver

    func upstreamReceivedHead(_ head: ResponseHead) {
        guard let exchange = self.exchange, let leg = exchange.upstream else { return }
        leg.deadline = nil
        leg.answered = true
        let (bytes, position) = self.answerHead(head, for: exchange)
        if case .length(let length) = head.framing, length <= 64 * 1024 {
            leg.flushesEachPart = false
        } else {
            leg.flushesEachPart = head.framing != .empty
        }
        if let position {
            // The service revoked something: answer once this gateway enforces it too.
            leg.held = HeldAnswer(parts: [bytes], awaitsRevocation: true)
            self.state.revocations.whenApplied(position, timeout: GatewayConnectionContext.revocationWait, on: self.context.eventLoop) {
                leg.held?.awaitsRevocation = false
                self.releaseHeldAnswer(of: exchange)
            }
        } else if !leg.flushesEachPart {
            leg.held = HeldAnswer(parts: [bytes], awaitsRevocation: false)
        } else {
            self.writeAnswer(bytes, flush: leg.flushesEachPart)
        }
    }

    func upstreamReceivedBody(_ part: ByteBuffer) {
        guard let exchange = self.exchange, let leg = exchange.upstream, let framed = self.answerBody(part, for: exchange) else { return }
        if leg.held != nil {
            leg.held?.parts.append(framed)
            return
        }
        self.writeAnswer(framed, flush: leg.flushesEachPart)
        if leg.flushesEachPart, !self.context.channel.isWritable {
            leg.pausedForClient = true
            leg.connection?.setReading(false)
        }
    }

    func upstreamReceivedEnd(reusable: Bool) {
        guard let exchange = self.exchange, let leg = exchange.upstream, let connection = leg.connection else { return }
        leg.connection = nil
        // Reused only after a clean exchange: the whole request out before the whole answer came
        // back. An answer that came early leaves the service reading a request we cut short.
        if reusable, leg.requestWritten {
            leg.pool.release(connection, now: .now())
        } else {
            connection.close()
        }
        let end = self.answerEnd(for: exchange)
        if leg.held != nil {
            if let end { leg.held?.parts.append(end) }
            leg.held?.ended = true
            if leg.held?.awaitsRevocation == false { self.releaseHeldAnswer(of: exchange) }
            return
        }
        if let end { self.writeAnswer(end, flush: false) }
        self.answerEnded(exchange)
    }

    func upstreamFailed(responseStarted: Bool) {
        guard let exchange = self.exchange, let leg = exchange.upstream else { return }
        leg.connection = nil
        leg.deadline = nil
        if leg.held != nil {
            // None of the answer has left: withdraw it, and the client gets the 503 below.
            leg.held = nil
            exchange.status = nil
            self.machine.answerWithdrawn()
        } else if exchange.answerStarted {
            // Part of the answer is out: the client must see that it was cut short.
            return self.perform(.close)
        }
        let idempotent = exchange.head.method == .GET || exchange.head.method == .HEAD
        if !responseStarted, leg.reused, !leg.retried, idempotent, !exchange.sentBody {
            // A pooled connection the service had closed (a restart, an idle timeout): once more on
            // a fresh one. Requests with a body are never repeated.
            leg.retried = true
            leg.reused = false
            leg.pool.connect { result in
                guard self.exchange === exchange, case .upstream(let current) = exchange.phase, current === leg, leg.connection == nil else {
                    if case .success(let connection) = result { connection.close() }
                    return
                }
                switch result {
                case .success(let connection): self.send(exchange, leg: leg, on: connection)
                case .failure(let error): self.upstreamUnavailable(exchange, reason: "\(error)")
                }
            }
            return
        }
        self.upstreamUnavailable(exchange, reason: "connection closed before the response")
    }

    private func releaseHeldAnswer(of exchange: Exchange) {
        guard self.exchange === exchange, let leg = exchange.upstream, let held = leg.held else { return }
        leg.held = nil
        for part in held.parts {
            self.writeAnswer(part, flush: false)
        }
        if held.ended {
            self.answerEnded(exchange)
        } else {
            self.context.flush()
        }
    }
}
