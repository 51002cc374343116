@testable import AuthService
import Common
import Foundation
import HummingbirdTesting
import JWTKit
import Testing

@Suite("The JWKS route and the signing keys behind it")
struct SigningKeysTests {
    /// A private folder for PEM files, removed by the caller.
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("signing-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("GET /.well-known/jwks.json serves the public signing key and nothing private")
    func jwksRoute() async throws {
        let fixture = try AuthFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/.well-known/jwks.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let document = try JSONDecoder().decode(JWKSDocument.self, from: Data(buffer: response.body))
                #expect(document == fixture.signingKeys.jwks)
                #expect(document.keys.first?.kid == fixture.signingKeys.signingKID)
                let raw = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [[String: Any]]])
                #expect(raw["keys"]?.allSatisfy { $0["d"] == nil } == true)
            }
        }
    }

    @Test("keys load from PEM files: signing key first, retired public keys after, duplicates dropped")
    func loadsPEMFiles() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let signing = ES256PrivateKey()
        let retired = ES256PrivateKey()
        let privateFile = folder.appendingPathComponent("private.pem")
        let retiredFile = folder.appendingPathComponent("retired.pem")
        let sameAsSigningFile = folder.appendingPathComponent("same.pem")
        try signing.pemRepresentation.write(to: privateFile, atomically: true, encoding: .utf8)
        try retired.publicKey.pemRepresentation.write(to: retiredFile, atomically: true, encoding: .utf8)
        try signing.publicKey.pemRepresentation.write(to: sameAsSigningFile, atomically: true, encoding: .utf8)

        let keys = try SigningKeys(privateKeyFile: privateFile.path, additionalPublicKeyFiles: [retiredFile.path, sameAsSigningFile.path])

        #expect(keys.signingKID == (try PublicJWK(es256: signing.publicKey)).kid)
        #expect(keys.jwks.keys.map(\.kid) == [keys.signingKID, try PublicJWK(es256: retired.publicKey).kid])
    }

    @Test("a missing private key file is a clear error naming the setting")
    func missingPrivateKeyFile() {
        let error = #expect(throws: SigningKeyError.self) {
            try SigningKeys(privateKeyFile: "/nonexistent/\(UUID().uuidString).pem", additionalPublicKeyFiles: [])
        }
        #expect(error?.message.contains("JWT_PRIVATE_KEY_FILE") == true)
    }

    @Test("a file that is not an ES256 private key is refused the same way")
    func wrongPrivateKeyContent() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("public-only.pem")
        try ES256PrivateKey().publicKey.pemRepresentation.write(to: file, atomically: true, encoding: .utf8)

        let error = #expect(throws: SigningKeyError.self) { try SigningKeys(privateKeyFile: file.path, additionalPublicKeyFiles: []) }
        #expect(error?.message.contains("JWT_PRIVATE_KEY_FILE") == true)
    }

    @Test("a missing additional public key file is named in the error")
    func missingPublicKeyFile() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let privateFile = folder.appendingPathComponent("private.pem")
        try ES256PrivateKey().pemRepresentation.write(to: privateFile, atomically: true, encoding: .utf8)
        let missing = folder.appendingPathComponent("gone.pem").path

        let error = #expect(throws: SigningKeyError.self) { try SigningKeys(privateKeyFile: privateFile.path, additionalPublicKeyFiles: [missing]) }
        #expect(error?.message.contains(missing) == true)
    }

    @Test("a token signed by the issuer verifies with a retired key still published, and stops when it is gone")
    func retiredKeyStillVerifies() async throws {
        let old = ES256PrivateKey()
        let oldKeys = try SigningKeys(privateKey: old)
        let settings = AuthFixture.tokens
        let token = try await AccessTokenIssuer(signingKeys: oldKeys, settings: settings, lifetime: 600).issue(userID: 1, roles: [.user], sessionID: "s")

        let rotated = try SigningKeys(privateKey: ES256PrivateKey(), additionalPublicKeys: [old.publicKey])
        let withRetired = AccessTokenVerifier(keys: try await StaticVerificationKeys(rotated.jwks), issuer: settings.issuer, audience: settings.audience)
        #expect(try await withRetired.verify(token).id == 1)

        let withoutRetired = AccessTokenVerifier(
            keys: try await StaticVerificationKeys(try SigningKeys(privateKey: ES256PrivateKey()).jwks),
            issuer: settings.issuer, audience: settings.audience
        )
        await #expect(throws: TokenVerificationError(.unknownKey)) { try await withoutRetired.verify(token) }
    }
}
