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

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = self.unwrapOutboundIn(data)
        self.pending.append(command.promise)
        context.write(self.wrapOutboundOut(command.payload), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = self.unwrapInboundIn(data)
        guard let promise = self.pending.popFirst() else {
            // A reply nobody asked for: the stream is out of step, so the connection is useless.
            context.close(promise: nil)
            return
        }
        promise.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(error as? RedisError ?? RedisError(.connectionClosed, "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(RedisError(.connectionClosed))
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
