import Foundation
import NIOCore
import NIOEmbedded
@testable import SMTP
import Testing

/// The client's session driven through its real channel handler on an `EmbeddedChannel`: the test
/// plays the server, line by line, and reads exactly what the client wrote.
@Suite struct SMTPSessionTests {
    /// A channel with the decoder and the handler, as the client builds it (no TLS).
    final class Session {
        let channel = EmbeddedChannel()
        let done: EventLoopPromise<[SMTPDeliveryResult]>

        init(_ messages: [SMTPEnvelope], security: SMTPConfiguration.Security = .opportunisticSTARTTLS,
             credentials: SMTPConfiguration.Credentials? = nil, inClear: Bool = true) throws {
            self.done = self.channel.eventLoop.makePromise()
            let settings = SMTPClientStateMachine.Settings(
                security: security, credentials: credentials, heloName: "client.test", allowsCredentialsInClear: inClear
            )
            try self.channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
            try self.channel.pipeline.syncOperations.addHandler(SMTPClientHandler(
                machine: SMTPClientStateMachine(settings: settings, messages: messages), done: self.done,
                replyTimeout: .seconds(30), makeTLSHandler: nil
            ))
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        }

        /// The server says `text` (CRLF added).
        func server(_ text: String) throws {
            try self.channel.writeInbound(self.channel.allocator.buffer(string: text + "\r\n"))
        }

        /// Everything the client wrote since the last call.
        func written() throws -> String {
            var text = ""
            while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        func results() throws -> [SMTPDeliveryResult] {
            _ = try? self.channel.finish()
            return try self.done.futureResult.wait()
        }
    }

    static let message = SMTPEnvelope(sender: "no-reply@example.com", recipient: "alice@example.com", data: Array("Subject: x\r\n\r\n.hidden\r\nend".utf8))

    @Test func deliversAMessageWithDotStuffingAndQuits() throws {
        let session = try Session([Self.message])
        try session.server("220 mail.test ESMTP")
        #expect(try session.written() == "EHLO client.test\r\n")
        try session.server("250-mail.test\r\n250-SIZE 1000\r\n250 8BITMIME")
        #expect(try session.written() == "MAIL FROM:<no-reply@example.com>\r\n")
        try session.server("250 ok")
        #expect(try session.written() == "RCPT TO:<alice@example.com>\r\n")
        try session.server("250 ok")
        #expect(try session.written() == "DATA\r\n")
        try session.server("354 go ahead")
        #expect(try session.written() == "Subject: x\r\n\r\n..hidden\r\nend\r\n.\r\n")
        try session.server("250 queued")
        #expect(try session.written() == "QUIT\r\n")
        try session.server("221 bye")
        #expect(try session.results() == [.delivered])
    }

    @Test func aRefusedRecipientIsRejectedTheNextGoesOnAfterRSET() throws {
        let second = SMTPEnvelope(sender: "no-reply@example.com", recipient: "bob@example.com", data: Array("x".utf8))
        let session = try Session([Self.message, second])
        try session.server("220 hi")
        try session.server("250 hi")
        _ = try session.written()
        try session.server("250 ok")
        try session.server("550 no such user")
        #expect(try session.written() == "RCPT TO:<alice@example.com>\r\nRSET\r\n")
        try session.server("250 reset")
        #expect(try session.written() == "MAIL FROM:<no-reply@example.com>\r\n")
        try session.server("250 ok")
        try session.server("451 try later")
        #expect(try session.written() == "RCPT TO:<bob@example.com>\r\nRSET\r\n")
        try session.server("250 reset")
        try session.server("221 bye")
        let results = try session.results()
        guard case .rejected(let refusal) = results[0], case .deferred(let deferral) = results[1] else {
            Issue.record("unexpected results \(results)")
            return
        }
        #expect(refusal.reply?.code == 550)
        #expect(deferral.reply?.code == 451)
    }

    @Test func authPlainIsPreferredAndItsWordsAreBase64() throws {
        let session = try Session([Self.message], credentials: .init(username: "user", password: "pässword"))
        try session.server("220 hi")
        try session.server("250-hi\r\n250 AUTH LOGIN PLAIN")
        #expect(try session.written() == "EHLO client.test\r\nAUTH PLAIN " + Base64.encode([0] + Array("user".utf8) + [0] + Array("pässword".utf8)) + "\r\n")
        try session.server("235 ok")
        #expect(try session.written() == "MAIL FROM:<no-reply@example.com>\r\n")
    }

    @Test func authLoginWhenPlainIsNotOffered() throws {
        let session = try Session([Self.message], credentials: .init(username: "user", password: "secret"))
        try session.server("220 hi")
        try session.server("250-hi\r\n250 AUTH LOGIN")
        #expect(try session.written() == "EHLO client.test\r\nAUTH LOGIN\r\n")
        try session.server("334 VXNlcm5hbWU6")
        #expect(try session.written() == "dXNlcg==\r\n")
        try session.server("334 UGFzc3dvcmQ6")
        #expect(try session.written() == "c2VjcmV0\r\n")
        try session.server("235 ok")
        #expect(try session.written() == "MAIL FROM:<no-reply@example.com>\r\n")
    }

    @Test func credentialsAreNeverSentInClearToARemoteServer() throws {
        let session = try Session([Self.message], credentials: .init(username: "user", password: "secret"), inClear: false)
        try session.server("220 hi")
        try session.server("250-hi\r\n250 AUTH PLAIN")
        #expect(try session.written() == "EHLO client.test\r\n")
        let results = try session.results()
        guard case .deferred(let error) = results.first else { Issue.record("\(results)"); return }
        #expect(error.code == .configuration)
    }

    @Test func requiredSTARTTLSRefusesAServerThatDoesNotOfferIt() throws {
        let session = try Session([Self.message], security: .requiredSTARTTLS)
        try session.server("220 hi")
        try session.server("250-hi\r\n250 8BITMIME")
        #expect(try session.written() == "EHLO client.test\r\n")
        let results = try session.results()
        guard case .deferred(let error) = results.first else { Issue.record("\(results)"); return }
        #expect(error.code == .tls)
    }

    @Test func offeredSTARTTLSIsAskedForAndAHandshakeFollows() throws {
        let session = try Session([Self.message])
        try session.server("220 hi")
        try session.server("250-hi\r\n250 STARTTLS")
        #expect(try session.written() == "EHLO client.test\r\nSTARTTLS\r\n")
        // No TLS handler is configured in this test: the session must fail, never go on in clear.
        try session.server("220 go ahead")
        let results = try session.results()
        guard case .deferred(let error) = results.first else { Issue.record("\(results)"); return }
        #expect(error.code == .tls)
    }

    @Test func aClosedConnectionDefersWhatWasNotDelivered() throws {
        let session = try Session([Self.message])
        try session.server("220 hi")
        _ = try session.channel.close().wait()
        let results = try session.results()
        guard case .deferred = results.first else { Issue.record("\(results)"); return }
    }

    @Test func aTransientGreetingDefersEverything() throws {
        let session = try Session([Self.message])
        try session.server("421 too busy")
        let results = try session.results()
        guard case .deferred(let error) = results.first else { Issue.record("\(results)"); return }
        #expect(error.reply?.code == 421)
    }

    @Test func garbageFromTheServerEndsTheSession() throws {
        let session = try Session([Self.message])
        // The decoder's error reaches the handler, which ends the session: nothing is thrown at the server.
        try session.server("hello there")
        #expect(!session.channel.isActive)
        let results = try session.results()
        guard case .deferred(let error) = results.first else { Issue.record("\(results)"); return }
        #expect(error.code == .protocolViolation)
    }
}
