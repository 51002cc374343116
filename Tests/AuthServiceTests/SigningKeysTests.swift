@testable import AuthService
import Common
import Foundation
import HummingbirdTesting
import JWTKit
import Testing

/// A fresh private key of each accepted kind.
enum KeyKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case eddsa, es256, rs256

    func makeKey() throws -> PrivateSigningKey {
        switch self {
        case .eddsa: try PrivateSigningKey(.eddsa(EdDSA.PrivateKey()))
        case .es256: try PrivateSigningKey(.es256(ES256PrivateKey()))
        case .rs256: try PrivateSigningKey(.rs256(Self.rsaKey))
        }
    }

    var testDescription: String { self.rawValue }

    /// Generating RSA keys is slow: one 2048-bit key serves every RSA test.
    static let rsaKey: JWTKit.Insecure.RSA.PrivateKey = {
        try! JWTKit.Insecure.RSA.PrivateKey(pem: openSSLPrivateKey(rsaBits: 2048))
    }()
}

/// An RSA private key in PKCS#8 PEM, as `openssl genpkey` writes it for an operator.
func openSSLPrivateKey(rsaBits: Int) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(rsaBits)"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let pem = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(process.terminationStatus == 0 && pem.contains("PRIVATE KEY"), "openssl could not generate an RSA key")
    return pem
}

extension PrivateSigningKey {
    var privatePEM: String {
        switch self.kind {
        case .eddsa(let key): key.pemRepresentation
        case .es256(let key): key.pemRepresentation
        case .rs256(let key): (try? key.pemRepresentation) ?? ""
        }
    }

    var publicPEM: String {
        switch self.kind {
        case .eddsa(let key): key.publicKey.pemRepresentation
        case .es256(let key): key.publicKey.pemRepresentation
        case .rs256(let key): key.publicKey.pemRepresentation
        }
    }
}

@Suite("Signing keys of every accepted kind, the JWKS that publishes them, and rotation between them")
struct SigningKeysTests {
    /// A private folder for PEM files, removed by the caller.
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("signing-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    private func verify(_ token: String, with jwks: JWKSDocument) async throws -> AccessTokenClaims {
        let settings = AuthFixture.tokens
        return try await AccessTokenVerifier(keys: try await StaticVerificationKeys(jwks), issuer: settings.issuer, audience: settings.audience)
            .verify(token)
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
                #expect(raw["keys"]?.allSatisfy { $0["d"] == nil && $0["p"] == nil && $0["q"] == nil } == true)
            }
        }
    }

    @Test("each kind of key signs tokens with its own algorithm, published in the JWKS entry", arguments: KeyKind.allCases)
    func eachKindSignsWithItsAlgorithm(kind: KeyKind) async throws {
        let keys = SigningKeys(signingKey: try kind.makeKey())
        let token = try await signedAccessToken(keys: keys, userID: 3)
        let headerPart = try #require(token.split(separator: ".").first)
        let headerJSON = try #require(Base64URL.decode(headerPart))
        let header = try JSONSerialization.jsonObject(with: headerJSON) as? [String: Any]
        let entry = try #require(keys.jwks.keys.first)

        #expect(header?["alg"] as? String == entry.alg)
        #expect(header?["kid"] as? String == entry.kid)
        #expect(entry.alg == ["eddsa": "EdDSA", "es256": "ES256", "rs256": "RS256"][kind.rawValue])
        #expect(entry.kty == ["eddsa": "OKP", "es256": "EC", "rs256": "RSA"][kind.rawValue])
        #expect(try await self.verify(token, with: keys.jwks).id == 3)
    }

    @Test("keys of every kind load from PEM files, mixed: signing key first, others after, duplicates dropped", arguments: KeyKind.allCases)
    func loadsPEMFilesOfEveryKind(signingKind: KeyKind) throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let signing = try signingKind.makeKey()
        let privateFile = folder.appendingPathComponent("private.pem")
        try signing.privatePEM.write(to: privateFile, atomically: true, encoding: .utf8)
        var publicFiles: [String] = []
        var expected = [signing.jwk.kid]
        for kind in KeyKind.allCases {
            let other = try kind.makeKey()
            let file = folder.appendingPathComponent("\(kind.rawValue).pem")
            try other.publicPEM.write(to: file, atomically: true, encoding: .utf8)
            publicFiles.append(file.path)
            if !expected.contains(other.jwk.kid) { expected.append(other.jwk.kid) }
        }
        let sameAsSigning = folder.appendingPathComponent("same.pem")
        try signing.publicPEM.write(to: sameAsSigning, atomically: true, encoding: .utf8)

        let keys = try SigningKeys(privateKeyFile: privateFile.path, additionalPublicKeyFiles: publicFiles + [sameAsSigning.path])

        #expect(keys.signingKID == signing.jwk.kid)
        #expect(keys.jwks.keys.map(\.kid) == expected)
    }

    @Test("an RSA key under 2048 bits is refused with a clear reason")
    func shortRSAKeyIsRefused() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("short.pem")
        try openSSLPrivateKey(rsaBits: 1024).write(to: file, atomically: true, encoding: .utf8)

        let error = #expect(throws: SigningKeyError.self) { try SigningKeys(privateKeyFile: file.path, additionalPublicKeyFiles: []) }
        #expect(error?.message.contains("2048") == true)
    }

    @Test("a missing private key file is a clear error naming the setting")
    func missingPrivateKeyFile() {
        let error = #expect(throws: SigningKeyError.self) {
            try SigningKeys(privateKeyFile: "/nonexistent/\(UUID().uuidString).pem", additionalPublicKeyFiles: [])
        }
        #expect(error?.message.contains("JWT_PRIVATE_KEY_FILE") == true)
    }

    @Test("a file that holds only a public key is refused as a signing key")
    func publicKeyIsNoSigningKey() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("public-only.pem")
        try KeyKind.es256.makeKey().publicPEM.write(to: file, atomically: true, encoding: .utf8)

        let error = #expect(throws: SigningKeyError.self) { try SigningKeys(privateKeyFile: file.path, additionalPublicKeyFiles: []) }
        #expect(error?.message.contains("JWT_PRIVATE_KEY_FILE") == true)
    }

    @Test("a missing additional public key file is named in the error")
    func missingPublicKeyFile() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let privateFile = folder.appendingPathComponent("private.pem")
        try KeyKind.es256.makeKey().privatePEM.write(to: privateFile, atomically: true, encoding: .utf8)
        let missing = folder.appendingPathComponent("gone.pem").path

        let error = #expect(throws: SigningKeyError.self) { try SigningKeys(privateKeyFile: privateFile.path, additionalPublicKeyFiles: [missing]) }
        #expect(error?.message.contains(missing) == true)
    }

    @Test("rotation across kinds: the old key's tokens verify while it is published, and stop when it is gone")
    func rotationAcrossKinds() async throws {
        let old = try KeyKind.es256.makeKey()
        let new = try KeyKind.eddsa.makeKey()
        let oldToken = try await signedAccessToken(keys: SigningKeys(signingKey: old), userID: 1)

        let rotated = SigningKeys(signingKey: new, additionalPublicKeys: [old.jwk])
        #expect(try await self.verify(oldToken, with: rotated.jwks).id == 1)

        await #expect(throws: TokenVerificationError(.unknownKey)) {
            try await self.verify(oldToken, with: SigningKeys(signingKey: new).jwks)
        }
    }

    @Test("a token whose header names another algorithm than its key's is refused (no alg confusion)")
    func headerCannotChooseTheAlgorithm() async throws {
        let rsa = try KeyKind.rs256.makeKey()
        let keys = SigningKeys(signingKey: rsa)
        let token = try await signedAccessToken(keys: keys, userID: 1)
        let parts = token.split(separator: ".").map(String.init)
        let headerJSON = try #require(Base64URL.decode(parts[0]))
        var header = try #require(try JSONSerialization.jsonObject(with: headerJSON) as? [String: Any])
        for alg in ["HS256", "ES256", "EdDSA", "none", "PS256"] {
            header["alg"] = alg
            let forged = Base64URL.encode(try JSONSerialization.data(withJSONObject: header)) + "." + parts[1] + "." + parts[2]
            await #expect(throws: TokenVerificationError(.unacceptableHeader)) { try await self.verify(forged, with: keys.jwks) }
        }
    }
}
