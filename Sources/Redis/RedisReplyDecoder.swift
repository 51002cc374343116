import CHiredis
import NIOCore

/// Parses RESP2 with hiredis's reader. The reader lives and dies on the channel's event loop and
/// is never shared; pipelined replies come out one `channelRead` each, in order.
final class RedisReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = RedisValue

    private var reader: UnsafeMutablePointer<redisReader>

    init() {
        self.reader = redisReaderCreate()
    }

    deinit {
        redisReaderFree(self.reader)
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(self.reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        guard status == REDIS_OK else { throw self.readerFailure() }
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(self.reader, &raw) == REDIS_OK else { throw self.readerFailure() }
            guard let raw else { return .needMoreData }
            let value = RedisValue(reply: raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            context.fireChannelRead(self.wrapInboundOut(value))
        }
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }

    /// A reader that reported an error is unusable: replace it, and fail the connection.
    private func readerFailure() -> RedisError {
        let message = withUnsafeBytes(of: self.reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        redisReaderFree(self.reader)
        self.reader = redisReaderCreate()
        return RedisError(.protocolError, message)
    }
}
