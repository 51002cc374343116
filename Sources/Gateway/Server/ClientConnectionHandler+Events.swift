import Common
import NIOCore

/// What happens to a client connection besides its bytes: deadlines, FIN, a shutdown, errors, the
/// end, and the client taking (or not taking) what is written to it.
extension ClientConnectionHandler {
    // MARK: Deadlines

    /// Sets the deadline for what the machine waits for now, when that changed.
    func updateDeadline() {
        let waiting = self.machine.waiting
        guard waiting != self.deadlineFor else { return }
        self.deadlineFor = waiting
        let timeouts = self.shared.timeouts
        let seconds: Double? =
            switch waiting {
            case .connectionStart, .head: timeouts.header
            case .idle: timeouts.idle
            case .body: timeouts.body
            case .linger: Self.lingerTime
            case .nothing: nil
            }
        self.deadline = seconds.map { .now() + .nanoseconds(Int64($0 * 1e9)) }
    }

    /// Called by the loop's sweep: acts on whatever deadline has passed by `now`.
    func checkDeadlines(now: NIODeadline) {
        guard self.context != nil else { return }
        if let deadline = self.deadline, deadline <= now {
            self.deadline = nil
            self.perform(self.machine.deadlinePassed())
        }
        if let leg = self.exchange?.upstream, let deadline = leg.deadline, deadline <= now {
            leg.deadline = nil
            self.upstreamTookTooLong()
        }
    }

    // MARK: Channel events

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            self.clientFinished = true
            if self.processing { return }
            self.deliverClientFinishedIfDue()
        case is ChannelShouldQuiesceEvent:
            self.perform(self.machine.quiesce())
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An I/O error: the connection is gone or going.
        self.abandonExchange()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.machine.closed()
        self.deadline = nil
        self.abandonExchange()
        self.exchange = nil
        self.inbound = ByteBuffer()
        self.accountHeldBytes()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if let leg = self.exchange?.upstream, leg.pausedForClient {
                leg.pausedForClient = false
                leg.connection?.setReading(true)
            }
            // Requests that waited for the client to take its answers go on.
            self.processInbound()
        }
        context.fireChannelWritabilityChanged()
    }
}
