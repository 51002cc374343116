import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive connections to one upstream, owned by one event loop and only ever touched on it,
/// so requests, responses and pool bookkeeping never leave that loop.
final class UpstreamLoopPool {
    private let eventLoop: any EventLoop
    private let host: String
    private let port: Int
    private let connectTimeout: TimeAmount
    private let maxBodyBytes: Int
    private let maxIdle: Int
    private var idle: [any Channel] = []

    init(eventLoop: any EventLoop, host: String, port: Int, connectTimeout: TimeAmount, maxBodyBytes: Int, maxIdle: Int) {
        self.eventLoop = eventLoop
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.maxBodyBytes = maxBodyBytes
        self.maxIdle = maxIdle
    }

    /// Sends `head` on an idle connection (or a new one) and returns the buffered response. A
    /// reused connection that turns out closed is replaced once, transparently.
    func execute(_ head: HTTPRequestHead, timeout: TimeAmount) -> EventLoopFuture<UpstreamResponse> {
        self.eventLoop.assertInEventLoop()
        while let channel = self.idle.popLast() {
            if channel.isActive {
                return self.send(head, on: channel, timeout: timeout).flatMapError { error in
                    guard (error as? UpstreamExchangeError)?.code == .staleConnection else {
                        return self.eventLoop.makeFailedFuture(error)
                    }
                    return self.connect().flatMap { self.send(head, on: $0, timeout: timeout) }
                }
            }
        }
        return self.connect().flatMap { self.send(head, on: $0, timeout: timeout) }
    }

    func closeAll() {
        for channel in self.idle {
            channel.close(promise: nil)
        }
        self.idle.removeAll()
    }

    private func send(_ head: HTTPRequestHead, on channel: any Channel, timeout: TimeAmount) -> EventLoopFuture<UpstreamResponse> {
        let promise = self.eventLoop.makePromise(of: UpstreamResponse.self)
        channel.writeAndFlush(UpstreamExchange(head: head, promise: promise)).whenFailure { _ in
            promise.fail(UpstreamExchangeError(code: .staleConnection))
        }
        let timer = self.eventLoop.scheduleTask(in: timeout) {
            promise.fail(UpstreamTimeoutError())
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let maxBodyBytes = self.maxBodyBytes
        let loopBoundSelf = NIOLoopBound(self, eventLoop: self.eventLoop)
        return ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamExchangeHandler(maxBodyBytes: maxBodyBytes) { channel in
                            loopBoundSelf.value.returnToPool(channel)
                        }
                    )
                }
            }
            .connect(host: self.host, port: self.port)
    }

    private func returnToPool(_ channel: any Channel) {
        if self.idle.count < self.maxIdle {
            self.idle.append(channel)
        } else {
            channel.close(promise: nil)
        }
    }
}

/// The upstream did not answer within the request timeout.
struct UpstreamTimeoutError: Error {}
