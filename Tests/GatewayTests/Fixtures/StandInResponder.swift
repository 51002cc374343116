import Common
import Foundation
import NIOCore
import NIOHTTP1

/// The per-connection side of ``StandInService``: collects each request, records it, and carries
/// out the script's answer.
final class ScriptedResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: Int
    private let recorder: StandInService.Recorder
    private let script: @Sendable (ReceivedRequest) -> StandInAnswer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var handled = 0

    init(connection: Int, recorder: StandInService.Recorder, script: @escaping @Sendable (ReceivedRequest) -> StandInAnswer) {
        self.connection = connection
        self.recorder = recorder
        self.script = script
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
        case .body(let part):
            self.body += part.getBytes(at: part.readerIndex, length: part.readableBytes) ?? []
        case .end:
            guard let head = self.head else { return }
            let request = self.recorder.state.withLock { state in
                let request = ReceivedRequest(
                    method: head.method, uri: head.uri, version: head.version, headers: head.headers, body: self.body,
                    connection: self.connection, indexOnConnection: self.handled, index: state.requests.count
                )
                state.requests.append(request)
                return request
            }
            self.handled += 1
            self.answer(self.script(request), to: request, context: context)
        }
    }

    private func answer(_ answer: StandInAnswer, to request: ReceivedRequest, context: ChannelHandlerContext) {
        let version = request.version
        switch answer {
        case .respond(let status, let headers, let body, let delay):
            let context = context.loopBound
            let write = {
                var headers = headers
                if !headers.contains(name: "content-length") { headers.add(name: "content-length", value: String(body.count)) }
                context.value.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
                if !body.isEmpty { context.value.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
                context.value.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
            if delay == .zero {
                write()
            } else {
                context.value.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay.milliseconds) * 1_000_000)) { write() }
            }
        case .echo:
            let object: [String: String] = ["method": request.method.rawValue, "uri": request.uri, "body": String(decoding: request.body, as: UTF8.self)]
            let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            self.answer(.respond(headers: ["content-type": "application/json"], body: Array(body)), to: request, context: context)
        case .chunked(let parts):
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok))), promise: nil)
            for part in parts { context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: part)))), promise: nil) }
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        case .stream(let totalBytes):
            let head = HTTPResponseHead(version: version, status: .ok, headers: ["content-length": String(totalBytes)])
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            self.stream(from: 0, total: totalBytes, context: context)
        case .truncate(let declaredLength, let bytes):
            let head = HTTPResponseHead(version: version, status: .ok, headers: ["content-length": String(declaredLength)])
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            let context = context.loopBound
            context.value.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes))))).assumeIsolated().whenComplete { _ in
                context.value.close(promise: nil)
            }
        case .close:
            context.close(promise: nil)
        case .hang:
            break
        }
    }

    /// Writes the next 64 KiB once the previous part left, so only what the peer takes is sent.
    private func stream(from offset: Int, total: Int, context: ChannelHandlerContext) {
        guard offset < total else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let count = min(64 * 1024, total - offset)
        let part = ByteBuffer(bytes: StandInService.pattern(offset: offset, count: count))
        let bound = context.loopBound
        context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(part)))).assumeIsolated().whenSuccess {
            self.recorder.state.withLock { $0.bytesStreamed += count }
            self.stream(from: offset + count, total: total, context: bound.value)
        }
    }
}
