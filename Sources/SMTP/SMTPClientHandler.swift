import NIOCore
import NIOSSL
import NIOTLS

/// The thin channel handler around ``SMTPClientStateMachine``: it writes what the machine says, adds
/// TLS when it says so, bounds every wait for a reply, and completes `done` with each message's
/// outcome when the session ends however it ends.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = SMTPReply
    typealias OutboundOut = ByteBuffer

    private var machine: SMTPClientStateMachine
    private let done: EventLoopPromise<[SMTPDeliveryResult]>
    private let replyTimeout: TimeAmount
    /// Makes the TLS handler for STARTTLS; `nil` when TLS is not configured.
    private let makeTLSHandler: (() throws -> NIOSSLClientHandler)?
    private var timer: Scheduled<Void>?
    private var failure: SMTPError?

    init(
        machine: SMTPClientStateMachine, done: EventLoopPromise<[SMTPDeliveryResult]>, replyTimeout: TimeAmount,
        makeTLSHandler: (() throws -> NIOSSLClientHandler)?
    ) {
        self.machine = machine
        self.done = done
        self.replyTimeout = replyTimeout
        self.makeTLSHandler = makeTLSHandler
    }

    func channelActive(context: ChannelHandlerContext) {
        // The greeting must come in time too.
        self.armTimer(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.armTimer(context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = Self.unwrapInboundIn(data)
        self.perform(self.machine.receive(reply), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            self.perform(self.machine.tlsEstablished(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason = (error as? SMTPError) ?? SMTPError(error is NIOSSLError || error is BoringSSLError ? .tls : .protocolViolation, "\(error)")
        self.failure = self.failure ?? reason
        self.machine.fail(reason)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.done.succeed(self.machine.outcomes(orElse: self.failure ?? SMTPError(.closed, "the server closed the connection")))
        context.fireChannelInactive()
    }

    private func perform(_ action: SMTPClientStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let bytes):
            self.armTimer(context: context)
            context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        case .startTLS:
            self.armTimer(context: context)
            do {
                guard let makeTLSHandler else { throw SMTPError(.tls, "TLS is not configured") }
                try context.pipeline.syncOperations.addHandler(try makeTLSHandler(), position: .first)
            } catch {
                self.errorCaught(context: context, error: error)
            }
        case .close:
            self.timer?.cancel()
            context.close(promise: nil)
        case .none:
            break
        }
    }

    /// Waits for the next reply at most `replyTimeout`; each reply or command restarts the wait.
    private func armTimer(context: ChannelHandlerContext) {
        self.timer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(in: self.replyTimeout) {
            let (handler, context) = loopBound.value
            handler.errorCaught(context: context, error: SMTPError(.timeout, "no reply from the SMTP server in time"))
        }
    }
}
