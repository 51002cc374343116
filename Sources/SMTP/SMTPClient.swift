import NIOCore
import NIOPosix
import NIOSSL

/// Submits mail to one SMTP server: one connection per call, every message of the call delivered in
/// that session, one outcome per message. It never throws: a server that cannot be reached or breaks
/// the session defers every message not yet delivered, so the caller decides what to retry.
package struct SMTPClient: Sendable {
    package let configuration: SMTPConfiguration
    private let group: any EventLoopGroup
    /// Built once: loading trust roots is not cheap.
    private let tlsContext: NIOSSLContext

    package init(configuration: SMTPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.configuration = configuration
        self.group = group
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.trustRootsFile {
            tls.additionalTrustRoots = [.file(file)]
        }
        do {
            self.tlsContext = try NIOSSLContext(configuration: tls)
        } catch {
            throw SMTPError(.configuration, "SMTP trust roots: \(error)")
        }
    }

    /// Delivers `messages` in one session that may last at most `sessionLimit`.
    package func send(_ messages: [SMTPEnvelope], sessionLimit: Duration = .seconds(120)) async -> [SMTPDeliveryResult] {
        guard !messages.isEmpty else { return [] }
        let configuration = self.configuration
        let settings = SMTPClientStateMachine.Settings(
            security: configuration.security, credentials: configuration.credentials, heloName: configuration.heloName,
            allowsCredentialsInClear: configuration.isLoopback
        )
        let loop = self.group.next()
        let done = loop.makePromise(of: [SMTPDeliveryResult].self)
        let tlsContext = self.tlsContext
        // SNI and certificate checks need a name; for an address literal NIOSSL checks the address.
        let serverHostname: String? = configuration.host.contains(":") || configuration.host.allSatisfy({ $0.isNumber || $0 == "." })
            ? nil : configuration.host
        let makeTLSHandler: @Sendable () throws -> NIOSSLClientHandler = {
            try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
        }
        let startTLS: (@Sendable () throws -> NIOSSLClientHandler)? = configuration.security == .plainOnly ? nil : makeTLSHandler
        let replyTimeout = Self.timeAmount(configuration.replyTimeout)
        let implicitTLS = configuration.security == .implicitTLS
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(Self.timeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SMTPClientHandler(
                        machine: SMTPClientStateMachine(settings: settings, messages: messages), done: done,
                        replyTimeout: replyTimeout, makeTLSHandler: startTLS
                    )
                    let pipeline = channel.pipeline.syncOperations
                    if implicitTLS { try pipeline.addHandler(try makeTLSHandler()) }
                    try pipeline.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                    try pipeline.addHandler(handler)
                }
            }
        do {
            let channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
            let limit = channel.eventLoop.scheduleTask(in: Self.timeAmount(sessionLimit)) {
                channel.pipeline.fireErrorCaught(SMTPError(.timeout, "the SMTP session took too long"))
            }
            let results = try await done.futureResult.get()
            limit.cancel()
            return results
        } catch {
            // Connecting failed: the handler never ran, so the promise is ours to complete.
            let reason = SMTPError(.connect, "cannot connect to \(configuration.host):\(configuration.port): \(error)")
            done.succeed(Array(repeating: .deferred(reason), count: messages.count))
            return Array(repeating: .deferred(reason), count: messages.count)
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
