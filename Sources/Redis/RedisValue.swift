import CHiredis
import NIOCore

/// A RESP2 reply, copied out of hiredis's reply tree into Swift values.
package enum RedisValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    case bulkString([UInt8])
    case null
    case array([RedisValue])

    init(reply: UnsafePointer<redisReply>) {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STATUS:
            self = .simpleString(Self.text(reply.str, reply.len))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(reply.str, reply.len))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(reply.integer))
        case REDIS_REPLY_STRING:
            self = .bulkString(Self.bytes(reply.str, reply.len))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(Int(reply.elements))
            for index in 0..<Int(reply.elements) {
                if let element = reply.element[index] {
                    elements.append(RedisValue(reply: element))
                } else {
                    elements.append(.null)
                }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    private static func text(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
        String(decoding: self.bytes(pointer, length), as: UTF8.self)
    }

    /// The reply as text, for bulk and simple strings.
    package var string: String? {
        switch self {
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .simpleString(let text): text
        default: nil
        }
    }

    package var int: Int? {
        switch self {
        case .integer(let value): value
        case .bulkString: self.string.flatMap { Int($0) }
        default: nil
        }
    }

    package var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
