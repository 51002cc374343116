import Common
import Logging
import NIOSSL
import PostgresNIO

/// When `DATABASE_URL` makes TLS mandatory, one connection is tried at start before the pool's: a
/// certificate that does not verify, or a server without TLS, is a mistake no retry mends, so the
/// service stops at once with the reason instead of after the 20 s the pool is given for a database
/// that is still starting. Any other failure (refused, timed out) is left to that wait.
enum PostgresTLSCheck {
    static func run(_ configuration: PostgresClient.Configuration, tls: TLSConfiguration, timeout: Duration, logger: Logger) async throws {
        guard let host = configuration.host else { return }
        var direct = PostgresConnection.Configuration(
            host: host, port: configuration.port ?? 5432, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: .require(try NIOSSLContext(configuration: tls))
        )
        direct.options.connectTimeout = .milliseconds(timeout.milliseconds)
        do {
            let connection = try await PostgresConnection.connect(configuration: direct, id: 0, logger: logger)
            try? await connection.close()
        } catch let error as PSQLError where Self.isTLSFailure(error) {
            throw ConfigurationError(message: "DATABASE_URL: TLS to PostgreSQL failed: \(error.underlying.map { "\($0)" } ?? "\(error.code)")")
        } catch {
            logger.debug("PostgreSQL not reached yet at start", metadata: ["error": "\(error)"])
        }
    }

    private static func isTLSFailure(_ error: PSQLError) -> Bool {
        if error.code == .sslUnsupported { return true }
        guard let underlying = error.underlying else { return false }
        return underlying is NIOSSLError || underlying is BoringSSLError || underlying is NIOSSLExtraError
    }
}
