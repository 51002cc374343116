import NIOCore
import NIOSSL

/// The files of a `rediss://` connection: the CA that signs the server's certificate (else the
/// system's trust store) and an optional client certificate with its key.
package struct RedisTLSFiles: Sendable, Equatable {
    package var caFile: String?
    package var certificateFile: String?
    package var keyFile: String?

    package init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile.flatMap { $0.isEmpty ? nil : $0 }
        self.certificateFile = certificateFile.flatMap { $0.isEmpty ? nil : $0 }
        self.keyFile = keyFile.flatMap { $0.isEmpty ? nil : $0 }
    }

    var isEmpty: Bool { self.caFile == nil && self.certificateFile == nil && self.keyFile == nil }
}

/// TLS to Redis: the server's certificate is always verified, chain and name (the URL's host name,
/// or the IP address connected to when Sentinel names the master by address). There is no switch
/// to turn verification off: a connection to a server that is not authenticated is open to anyone
/// between the two, and the session store is worth that attacker's while.
package struct RedisTLS: Sendable {
    package let files: RedisTLSFiles
    /// Built once: reading the trust store for every connection would cost milliseconds each time.
    private let context: NIOSSLContext

    init(files: RedisTLSFiles) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        do {
            if let caFile = files.caFile {
                configuration.trustRoots = .file(caFile)
                // A missing or unreadable file must stop the service now, not fail every connection later.
                _ = try NIOSSLCertificate.fromPEMFile(caFile)
            }
            switch (files.certificateFile, files.keyFile) {
            case (nil, nil):
                break
            case (let certificateFile?, let keyFile?):
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            default:
                throw RedisError(.invalidURL, "REDIS_CERT_FILE and REDIS_KEY_FILE go together")
            }
            self.context = try NIOSSLContext(configuration: configuration)
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.invalidURL, "TLS files for Redis cannot be used: \(error)")
        }
        self.files = files
    }

    /// The handler that speaks TLS to `host` on a new channel: the name is sent (SNI) and checked
    /// against the certificate; an IP address is checked against the certificate's IP addresses.
    func handler(serverHost host: String) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: self.context, serverHostname: Self.isIPAddress(host) ? nil : host)
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
