import NIOCore

/// When the socket is read: only while the machine allows it, the client takes its answers, and the
/// loop's ``RequestBufferBudget`` has room for what the connection would hold.
extension ClientConnectionHandler {
    /// Reads on while the machine allows it, the client takes its answers (one that sends requests
    /// without reading what they are answered would fill memory with answers waiting to be written),
    /// and the loop's ``RequestBufferBudget`` has room for what this connection would hold.
    func read(context: ChannelHandlerContext) {
        if self.mayRead {
            context.read()
        } else {
            self.holdRead()
        }
    }

    var mayRead: Bool {
        self.machine.mayRead(buffered: self.inbound.readableBytes > 0) && self.context.channel.isWritable
            && self.state.requestBuffers.allowsReading(holding: self.heldBytes)
    }

    func holdRead() {
        self.readHeld = true
        if !self.waitingForBudget, !self.state.requestBuffers.allowsReading(holding: self.heldBytes) {
            self.waitingForBudget = true
            self.state.requestBuffers.wait(self)
        }
    }

    /// The budget has room again: read on if nothing else holds this connection back.
    func budgetFreed() {
        self.waitingForBudget = false
        guard self.context != nil else { return }
        self.resumeReadingIfAllowed()
        if self.readHeld { self.holdRead() }
    }

    /// Tells the budget what this connection holds now: its unparsed bytes and an unsent body.
    func accountHeldBytes() {
        let holding = (self.inbound.readableBytes > 0 ? self.inbound.capacity : 0) + (self.exchange?.body?.capacity ?? 0)
        guard holding != self.heldBytes else { return }
        let delta = holding - self.heldBytes
        self.heldBytes = holding
        self.state.requestBuffers.charge(delta)
    }

    func resumeReadingIfAllowed() {
        guard self.readHeld, self.context != nil, self.mayRead else { return }
        self.readHeld = false
        self.context.read()
    }
}
