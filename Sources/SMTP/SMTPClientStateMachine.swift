/// An SMTP client session as a value: each server reply (and the end of a TLS handshake) is an event,
/// and the machine answers with what to do next. It delivers a list of messages in one session
/// (EHLO, STARTTLS when offered or required, AUTH PLAIN or LOGIN, then MAIL / RCPT / DATA for each,
/// RSET after a refused one, QUIT) and records one ``SMTPDeliveryResult`` per message. The channel
/// handler around it only moves bytes.
struct SMTPClientStateMachine {
    /// What the session is allowed and told to do.
    struct Settings: Sendable {
        var security: SMTPConfiguration.Security
        var credentials: SMTPConfiguration.Credentials?
        /// The name given in EHLO.
        var heloName: String
        /// AUTH without TLS: only towards a loopback server, where nothing crosses a network.
        var allowsCredentialsInClear: Bool
    }

    enum Action: Equatable {
        /// Write these bytes (a command line with its CRLF, or the stuffed message data).
        case send([UInt8])
        /// Put TLS in front of the connection now (the server said 220 to STARTTLS).
        case startTLS
        /// The session is over: close the connection.
        case close
        case none
    }

    private enum State: Equatable {
        case greeting
        case ehlo
        case startTLS
        case handshaking
        case authPlain
        case authLoginUsername
        case authLoginPassword
        case authLoginResult
        case mailFrom
        case rcptTo
        case data
        case dataEnd
        case reset
        case quit
        case finished
    }

    private let settings: Settings
    private let messages: [SMTPEnvelope]
    private var state = State.greeting
    private var current = 0
    private var tlsActive: Bool
    private var capabilities = SMTPReply(code: 250, lines: [])
    private(set) var results: [SMTPDeliveryResult?]

    init(settings: Settings, messages: [SMTPEnvelope]) {
        self.settings = settings
        self.messages = messages
        self.tlsActive = settings.security == .implicitTLS
        self.results = Array(repeating: nil, count: messages.count)
    }

    var isFinished: Bool { self.state == .finished }

    /// The server's reply to what was sent last (or its greeting).
    mutating func receive(_ reply: SMTPReply) -> Action {
        switch self.state {
        case .greeting:
            guard reply.code == 220 else { return self.abandon(SMTPError(.refused, "greeting", reply: reply)) }
            return self.sendEHLO()
        case .ehlo:
            guard reply.code == 250 else { return self.abandon(SMTPError(.refused, "EHLO", reply: reply)) }
            self.capabilities = reply
            if !self.tlsActive, self.settings.security != .plainOnly, reply.offers("STARTTLS") != nil {
                self.state = .startTLS
                return .send(Self.command("STARTTLS"))
            }
            if !self.tlsActive, self.settings.security == .requiredSTARTTLS {
                return self.abandon(SMTPError(.tls, "STARTTLS is required but the server does not offer it"))
            }
            return self.authenticate()
        case .startTLS:
            guard reply.code == 220 else {
                if self.settings.security == .requiredSTARTTLS {
                    return self.abandon(SMTPError(.tls, "STARTTLS", reply: reply))
                }
                return self.authenticate()
            }
            self.state = .handshaking
            return .startTLS
        case .handshaking, .finished:
            return self.abandon(SMTPError(.protocolViolation, "unexpected reply", reply: reply))
        case .authPlain, .authLoginResult:
            guard reply.code == 235 else { return self.abandon(SMTPError(.refused, "AUTH", reply: reply)) }
            return self.beginMessage()
        case .authLoginUsername:
            guard reply.code == 334, let credentials = self.settings.credentials else {
                return self.abandon(SMTPError(.refused, "AUTH LOGIN", reply: reply))
            }
            self.state = .authLoginPassword
            return .send(Self.command(Base64.encode(Array(credentials.username.utf8))))
        case .authLoginPassword:
            guard reply.code == 334, let credentials = self.settings.credentials else {
                return self.abandon(SMTPError(.refused, "AUTH LOGIN", reply: reply))
            }
            self.state = .authLoginResult
            return .send(Self.command(Base64.encode(Array(credentials.password.utf8))))
        case .mailFrom:
            guard reply.code == 250 else { return self.refuseCurrent("MAIL FROM", reply) }
            self.state = .rcptTo
            return .send(Self.command("RCPT TO:<\(self.messages[self.current].recipient)>"))
        case .rcptTo:
            guard reply.code == 250 || reply.code == 251 else { return self.refuseCurrent("RCPT TO", reply) }
            self.state = .data
            return .send(Self.command("DATA"))
        case .data:
            guard reply.code == 354 else { return self.refuseCurrent("DATA", reply) }
            self.state = .dataEnd
            return .send(SMTPDataEncoding.stuffed(self.messages[self.current].data))
        case .dataEnd:
            // After the final dot the transaction is over either way: no RSET needed.
            self.results[self.current] = reply.code == 250
                ? .delivered : Self.outcome(SMTPError(.refused, "message data", reply: reply))
            self.current += 1
            return self.beginMessage()
        case .reset:
            guard reply.code == 250 else { return self.abandon(SMTPError(.refused, "RSET", reply: reply)) }
            return self.beginMessage()
        case .quit:
            self.state = .finished
            return .close
        }
    }

    /// The TLS handshake that STARTTLS began has completed: greet again (RFC 3207 §4.2).
    mutating func tlsEstablished() -> Action {
        guard self.state == .handshaking else { return .none }
        self.tlsActive = true
        return self.sendEHLO()
    }

    /// The connection failed or closed: every message without an outcome is deferred.
    mutating func fail(_ error: SMTPError) {
        for index in self.results.indices where self.results[index] == nil {
            self.results[index] = .deferred(error)
        }
        self.state = .finished
    }

    /// Every message's outcome; those never reached are deferred with `error`.
    func outcomes(orElse error: SMTPError) -> [SMTPDeliveryResult] {
        self.results.map { $0 ?? .deferred(error) }
    }

    private mutating func sendEHLO() -> Action {
        self.state = .ehlo
        return .send(Self.command("EHLO \(self.settings.heloName)"))
    }

    private mutating func authenticate() -> Action {
        guard let credentials = self.settings.credentials else { return self.beginMessage() }
        guard self.tlsActive || self.settings.allowsCredentialsInClear else {
            return self.abandon(SMTPError(.configuration, "will not send SMTP credentials without TLS to a server that is not on loopback"))
        }
        let mechanisms = self.capabilities.offers("AUTH") ?? []
        if mechanisms.contains("PLAIN") {
            self.state = .authPlain
            let plain = [0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8)
            return .send(Self.command("AUTH PLAIN " + Base64.encode(plain)))
        }
        if mechanisms.contains("LOGIN") {
            self.state = .authLoginUsername
            return .send(Self.command("AUTH LOGIN"))
        }
        return self.abandon(SMTPError(.configuration, "the server offers neither AUTH PLAIN nor AUTH LOGIN"))
    }

    /// MAIL FROM for the next message, or QUIT when none is left.
    private mutating func beginMessage() -> Action {
        while self.current < self.messages.count {
            let message = self.messages[self.current]
            var command = "MAIL FROM:<\(message.sender)>"
            if message.needsSMTPUTF8 {
                guard self.capabilities.offers("SMTPUTF8") != nil else {
                    self.results[self.current] = .rejected(SMTPError(.refused, "the address needs SMTPUTF8, which the server does not offer"))
                    self.current += 1
                    continue
                }
                command += " SMTPUTF8"
            }
            self.state = .mailFrom
            return .send(Self.command(command))
        }
        self.state = .quit
        return .send(Self.command("QUIT"))
    }

    /// The current message was refused before its data: record why, reset the transaction, go on.
    private mutating func refuseCurrent(_ step: String, _ reply: SMTPReply) -> Action {
        self.results[self.current] = Self.outcome(SMTPError(.refused, step, reply: reply))
        self.current += 1
        self.state = .reset
        return .send(Self.command("RSET"))
    }

    /// The session cannot go on: messages not yet delivered are deferred; say goodbye and close.
    private mutating func abandon(_ error: SMTPError) -> Action {
        self.fail(error)
        return .close
    }

    private static func outcome(_ error: SMTPError) -> SMTPDeliveryResult {
        error.reply?.isPermanent == true ? .rejected(error) : .deferred(error)
    }

    private static func command(_ text: String) -> [UInt8] {
        Array(text.utf8) + [0x0D, 0x0A]
    }
}

/// Standard base64 with padding (AUTH, RFC 2047 words, MIME parts).
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    package static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], alphabet[Int(value & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
