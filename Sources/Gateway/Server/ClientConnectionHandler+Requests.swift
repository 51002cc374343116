import Common
import NIOCore
import NIOHTTP1

/// A request from its head to its end: the head's checks, routing, the gateway's own answers, and
/// handing the rest to ``forward(_:route:)``.
extension ClientConnectionHandler {
    func requestHeadArrived(_ head: RequestHead) {
        let facts = RequestHeaderFacts(head.headers)
        let target = RequestHeadCheck.originForm(of: head.target)
        let path = RequestHeadCheck.path(ofOriginForm: target)
        let exchange = Exchange(
            head: head, facts: facts, path: path ?? "-", requestID: RequestID.accept(facts.requestID) ?? self.state.ids.nextRequestID(),
            started: .now(), allowedOrigin: self.shared.cors.allowedOrigin(facts.origin)
        )
        if let tracing = self.shared.tracing {
            exchange.trace = RequestTrace(
                method: head.method.rawValue, traceparent: head.headers.first(.traceparent), tracestate: head.headers.first(.tracestate),
                tracing: tracing, random: &self.state.ids
            )
        }
        self.exchange = exchange
        let framing: RequestHeadCheck.Body
        switch RequestHeadCheck.body(of: head, facts: facts, maxBodyBytes: self.shared.maxBodyBytes) {
        case .failure(let error):
            // Its framing or headers cannot be trusted: answer, and read nothing more on it.
            self.machine.receivedHead(keepAlive: false, hasBody: false)
            return self.perform(self.machine.requestRefused(error))
        case .success(let body):
            framing = body
        }
        if self.shared.sessionCookies.enabled {
            switch SessionCookies.read(head.headers, settings: self.shared.sessionCookies) {
            case .failure(let error):
                self.machine.receivedHead(keepAlive: false, hasBody: false)
                return self.perform(self.machine.requestRefused(error))
            case .success(let cookies):
                exchange.cookies = cookies
            }
        }
        exchange.credential = facts.credential
        if facts.credential == .none, let token = exchange.cookies.access {
            // A token header wins over the cookie; without one, the cookie is the credential.
            exchange.credential = .token(token)
            exchange.credentialFromCookie = true
        }
        switch framing {
        case .none: self.bodyReader = nil
        case .length(let length): self.bodyReader = .length(remaining: length)
        case .chunked: self.bodyReader = .chunked(ChunkedDecoder(budget: self.shared.maxBodyBytes))
        }
        self.machine.receivedHead(keepAlive: facts.keepsAlive(version: head.version), hasBody: framing != .none)
        exchange.requestEnded = framing == .none
        self.updateDeadline()
        if framing != .none, facts.expect != nil, self.inbound.readableBytes == 0 {
            // The client waits for this before sending the body it announced.
            self.context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
        self.route(exchange, target: target)
    }

    /// The body and end of the request in progress have all arrived.
    func requestEnded() {
        if let exchange = self.exchange {
            self.requestEnded(exchange)
        } else {
            // Answered already: the drained body's end lets the connection go on.
            self.perform(self.machine.receivedBodyEnd())
        }
    }

    private func requestEnded(_ exchange: Exchange) {
        exchange.requestEnded = true
        if case .awaitingBody = exchange.phase, let route = exchange.route {
            self.connectUpstream(for: exchange, route: route)
        }
        self.perform(self.machine.receivedBodyEnd())
    }

    /// Answers what the gateway answers itself; sends the rest to ``forward(_:route:)``.
    private func route(_ exchange: Exchange, target: Substring) {
        let head = exchange.head
        guard RequestHeadCheck.path(ofOriginForm: target) != nil else {
            return self.refuse(exchange, APIError(.badRequest, "Malformed request target"))
        }
        if CORSPolicy.isPreflight(method: head.method, facts: exchange.facts) {
            return self.respond(
                LocalResponse(status: .noContent, contentType: "text/plain", body: ByteBuffer(), headers: self.shared.cors.preflightHeaders(origin: exchange.allowedOrigin)),
                to: exchange
            )
        }
        guard let route = self.shared.routes.route(forPath: exchange.path) else {
            return self.respond(LocalResponse(.notFound), to: exchange)
        }
        exchange.route = route
        guard route.serves(head.method) else {
            let allow = route.allowHeader
            if head.method == .OPTIONS {
                return self.respond(
                    LocalResponse(status: .noContent, contentType: "text/plain", body: ByteBuffer(), headers: ["allow": allow + ", OPTIONS"]),
                    to: exchange
                )
            }
            return self.respond(LocalResponse(APIError(.methodNotAllowed, "Method not allowed", headers: [.allow: allow])), to: exchange)
        }
        if case .local(let local) = route.target {
            return self.respond(self.shared.local.response(for: local, path: exchange.path, request: head, state: self.state, now: exchange.started), to: exchange)
        }
        self.forward(exchange, route: route, target: target)
    }

    /// A request the gateway will not read on from: answered `error`, then the connection closes.
    private func refuse(_ exchange: Exchange, _ error: APIError) {
        self.perform(self.machine.requestRefused(error))
    }
}
