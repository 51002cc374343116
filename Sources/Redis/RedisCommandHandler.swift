import NIOCore

/// One encoded command and the promise its reply fulfils.
struct RedisCommand: Sendable {
    var payload: ByteBuffer
    var promise: EventLoopPromise<RedisValue>
}

/// Matches replies to commands in order; Redis answers in order, so pipelining needs nothing more.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RedisValue
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RedisValue>>(initialCapacity: 16)
    /// Where replies nobody asked for go on a subscribed connection (Pub/Sub messages); `nil` on a
    /// command connection, where such a reply means the stream is out of step.
    private let pushes: AsyncStream<RedisValue>.Continuation?

    init(pushes: AsyncStream<RedisValue>.Continuation? = nil) {
        self.pushes = pushes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = self.unwrapOutboundIn(data)
        self.pending.append(command.promise)
        context.write(self.wrapOutboundOut(command.payload), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = self.unwrapInboundIn(data)
        guard let promise = self.pending.popFirst() else {
            if let pushes = self.pushes {
                pushes.yield(value)
                return
            }
            // A reply nobody asked for: the stream is out of step, so the connection is useless.
            context.close(promise: nil)
            return
        }
        promise.succeed(value)
        if case .error(let message) = value, message.hasPrefix("READONLY") {
            // The node was a master when connected and is a replica now (a failover): the caller gets
            // the error, and the connection goes, so that the next one asks where the master is.
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(error as? RedisError ?? RedisError(.connectionClosed, "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(RedisError(.connectionClosed))
        self.pushes?.finish()
        context.fireChannelInactive()
    }

    private func failAll(_ error: RedisError) {
        while let promise = self.pending.popFirst() {
            promise.fail(error)
        }
    }
}

extension ByteBuffer {
    /// Encodes a command as a RESP array of bulk strings (binary-safe, like hiredis's `...Argv`).
    mutating func writeRedisCommand(_ arguments: [String]) {
        self.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            self.writeString("$\(argument.utf8.count)\r\n")
            self.writeString(argument)
            self.writeString("\r\n")
        }
    }
}
