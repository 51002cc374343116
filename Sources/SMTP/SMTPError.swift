/// Why a delivery or a whole SMTP session failed; `isPermanent` says whether trying again can help.
package struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String { case connect, timeout, protocolViolation, tls, refused, configuration, closed }
        private let backing: Backing
        /// The server could not be reached.
        package static let connect = Code(backing: .connect)
        package static let timeout = Code(backing: .timeout)
        /// The server said something that is not SMTP.
        package static let protocolViolation = Code(backing: .protocolViolation)
        /// TLS was required and not offered, or the handshake failed.
        package static let tls = Code(backing: .tls)
        /// The server answered a command with an error reply.
        package static let refused = Code(backing: .refused)
        /// The settings cannot work (credentials to send in clear, say).
        package static let configuration = Code(backing: .configuration)
        /// The connection closed before the session ended.
        package static let closed = Code(backing: .closed)
        package var description: String { self.backing.rawValue }
    }

    package var code: Code
    package var message: String
    /// The server's reply, when it refused.
    package var reply: SMTPReply?

    package init(_ code: Code, _ message: String, reply: SMTPReply? = nil) {
        self.code = code
        self.message = message
        self.reply = reply
    }

    /// A 5yz reply: the same message will be refused again. Everything else may pass later.
    package var isPermanent: Bool { self.reply?.isPermanent ?? (self.code == .configuration) }

    package var description: String {
        self.reply.map { "\(self.code): \(self.message): \($0)" } ?? "\(self.code): \(self.message)"
    }
}
