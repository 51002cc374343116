@testable import AuthService
import Common
import NIOSSL
import PostgresNIO
import Testing

@Suite("DATABASE_URL: sslmode and the TLS files")
struct PostgresURLTests {
    private let base = "postgres://auth:secret@db.example.test:5433/auth"

    @Test("disable, allow and prefer make TLS optional; require, verify-ca and verify-full make it mandatory", arguments: [
        ("", false), ("?sslmode=disable", false), ("?sslmode=allow", false), ("?sslmode=prefer", false),
        ("?sslmode=require", true), ("?sslmode=verify-ca", true), ("?sslmode=verify-full", true),
    ])
    func mandatoryTLS(query: String, mandatory: Bool) throws {
        _ = try PostgresClient.Configuration(url: self.base + query)
        #expect((try PostgresClient.Configuration.requiredTLS(url: self.base + query) != nil) == mandatory)
    }

    @Test("every mode that uses TLS verifies the chain; only verify-ca leaves the host name unchecked")
    func verification() throws {
        for mode in ["require", "verify-full"] {
            let tls = try #require(try PostgresClient.Configuration.requiredTLS(url: self.base + "?sslmode=" + mode))
            #expect(tls.certificateVerification == .fullVerification, "\(mode)")
        }
        let chainOnly = try #require(try PostgresClient.Configuration.requiredTLS(url: self.base + "?sslmode=verify-ca"))
        #expect(chainOnly.certificateVerification == .noHostnameVerification)
    }

    @Test("an unknown sslmode, a lone sslcert and an unreadable sslrootcert stop the service at start", arguments: [
        "?sslmode=verify", "?sslmode=require&sslcert=/nonexistent/client.pem", "?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    ])
    func refused(query: String) {
        #expect(throws: ConfigurationError.self) { try PostgresClient.Configuration(url: self.base + query) }
    }
}
