import Foundation

/// Where and how to submit mail, from `SMTP_URL`: `smtp://[user:password@]host[:port]` (STARTTLS when
/// the server offers it; `?starttls=required` refuses to go on without it, `?starttls=never` never
/// asks), or `smtps://...` for TLS from the first byte (port 465 by default).
package struct SMTPConfiguration: Sendable, Equatable, CustomStringConvertible {
    package enum Security: Sendable, Equatable {
        /// STARTTLS when offered, plain otherwise.
        case opportunisticSTARTTLS
        case requiredSTARTTLS
        /// Never STARTTLS, even when offered.
        case plainOnly
        /// TLS from the start (`smtps://`).
        case implicitTLS
    }

    /// AUTH PLAIN or LOGIN with these.
    package struct Credentials: Sendable, Equatable {
        package var username: String
        package var password: String
    }

    package var host: String
    package var port: Int
    package var security: Security
    package var credentials: Credentials?
    /// A PEM file of extra certificate authorities trusted besides the system's (a private relay).
    package var trustRootsFile: String?
    /// The name the client gives in EHLO.
    package var heloName: String
    package var connectTimeout: Duration
    /// How long to wait for each reply.
    package var replyTimeout: Duration

    package init(
        url: String, trustRootsFile: String? = nil, heloName: String = "localhost",
        connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(30)
    ) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw SMTPError(.configuration, "SMTP_URL must look like smtp://[user:password@]host:port or smtps://...")
        }
        switch scheme {
        case "smtp": self.security = .opportunisticSTARTTLS
        case "smtps": self.security = .implicitTLS
        default: throw SMTPError(.configuration, "SMTP_URL: the scheme must be smtp or smtps")
        }
        for item in components.queryItems ?? [] {
            switch (item.name, item.value, scheme) {
            case ("starttls", "required", "smtp"): self.security = .requiredSTARTTLS
            case ("starttls", "never", "smtp"): self.security = .plainOnly
            case ("starttls", "optional", "smtp"): self.security = .opportunisticSTARTTLS
            default: throw SMTPError(.configuration, "SMTP_URL: unknown setting \(item.name)=\(item.value ?? "")")
            }
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (scheme == "smtps" ? 465 : 25)
        if let user = components.percentEncodedUser {
            self.credentials = Credentials(
                username: user.removingPercentEncoding ?? user,
                password: components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 } ?? ""
            )
        }
        self.trustRootsFile = trustRootsFile
        self.heloName = heloName
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
    }

    /// A server on this machine: credentials may go to it without TLS.
    package var isLoopback: Bool {
        self.host == "localhost" || self.host == "::1" || self.host.hasPrefix("127.")
    }

    /// Never shows the password.
    package var description: String {
        let scheme = self.security == .implicitTLS ? "smtps" : "smtp"
        let user = self.credentials.map { "\($0.username):***@" } ?? ""
        return "\(scheme)://\(user)\(self.host):\(self.port)"
    }
}
