import Common
import Foundation
import NIOSSL
import PostgresNIO

extension PostgresClient.Configuration {
    /// Reads `postgres://user:password@host:port/database[?sslmode=...&sslrootcert=...&sslcert=...&sslkey=...]`.
    ///
    /// `sslmode` (libpq's names): `disable` (plain TCP, the default, for a database on the same host
    /// or a private network), `allow` / `prefer` (TLS when the server offers it), `require`,
    /// `verify-ca` (the server's certificate must chain to `sslrootcert`, else the system's trust
    /// store) and `verify-full` (that, and the certificate must name the host of the URL). Wherever
    /// TLS is used the chain is verified, and the host name too except under `verify-ca`: unlike libpq,
    /// `allow`, `prefer` and `require` never accept a certificate that does not verify, because an
    /// unauthenticated server protects against no one who can reach the network between the two.
    /// `sslcert` and `sslkey` give a client certificate.
    init(url: String) throws {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty,
            let username = components.user?.removingPercentEncoding
        else {
            throw ConfigurationError(message: "DATABASE_URL must look like postgres://user:password@host:port/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        let tls: PostgresClient.Configuration.TLS
        switch try Self.tlsMode(components) {
        case .never: tls = .disable
        case .whenOffered(let configuration): tls = .prefer(configuration)
        case .always(let configuration): tls = .require(configuration)
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: username,
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? username : database,
            tls: tls
        )
    }

    /// When `url` makes TLS mandatory (`require`, `verify-ca`, `verify-full`), what it is verified with.
    static func requiredTLS(url: String) throws -> TLSConfiguration? {
        guard let components = URLComponents(string: url), case .always(let configuration) = try Self.tlsMode(components) else { return nil }
        return configuration
    }

    private enum TLSMode {
        case never
        case whenOffered(TLSConfiguration)
        case always(TLSConfiguration)
    }

    private static func tlsMode(_ components: URLComponents) throws -> TLSMode {
        let query = { (name: String) in components.queryItems?.first(where: { $0.name == name })?.value.flatMap { $0.isEmpty ? nil : $0 } }
        switch query("sslmode") ?? "disable" {
        case "disable": return .never
        case "allow", "prefer": return .whenOffered(try Self.tlsConfiguration(verifyingHostName: true, query: query))
        case "require", "verify-full": return .always(try Self.tlsConfiguration(verifyingHostName: true, query: query))
        case "verify-ca": return .always(try Self.tlsConfiguration(verifyingHostName: false, query: query))
        case let other:
            throw ConfigurationError(message: "DATABASE_URL: sslmode=\(other) is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
    }

    /// A client TLS configuration that verifies the server's chain against `sslrootcert` (a PEM
    /// file, or `system`), and its name unless told not to; with `sslcert` and `sslkey`, a client
    /// certificate. Files that cannot be read stop the service at start.
    private static func tlsConfiguration(verifyingHostName: Bool, query: (String) -> String?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = verifyingHostName ? .fullVerification : .noHostnameVerification
        do {
            if let rootCertificate = query("sslrootcert"), rootCertificate != "system" {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
            }
            switch (query("sslcert"), query("sslkey")) {
            case (nil, nil):
                break
            case (let certificate?, let key?):
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            default:
                throw ConfigurationError(message: "DATABASE_URL: sslcert and sslkey go together")
            }
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(message: "DATABASE_URL: the TLS files cannot be used: \(error)")
        }
        return configuration
    }
}
