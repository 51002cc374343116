import Foundation
import JWTKit

/// Full verification of an access token: pinned `alg`, `typ`, a known `kid`, the signature, then
/// `iss`, `aud`, `exp` and `nbf` with a small leeway.
///
/// A successful signature check is remembered in a ``VerifiedTokenCache`` until the token expires;
/// the claim checks run on every call, cached or not.
package struct AccessTokenVerifier: Sendable {
    package static let maximumTokenLength = 8192

    private let keys: any VerificationKeyProvider
    private let cache: VerifiedTokenCache
    private let issuer: String
    private let audience: String
    private let leeway: Double
    private let clock: any WallClock

    package init(
        keys: any VerificationKeyProvider,
        issuer: String,
        audience: String,
        leeway: Double = 30,
        cache: VerifiedTokenCache = VerifiedTokenCache(),
        clock: any WallClock = SystemWallClock()
    ) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cache = cache
        self.clock = clock
    }

    package func verify(_ token: String) async throws -> AccessTokenClaims {
        guard token.utf8.count <= Self.maximumTokenLength else {
            throw TokenVerificationError(.malformed)
        }
        let now = self.clock.now()
        if let claims = await self.cache.claims(for: token, now: now) {
            try self.checkTimes(claims, now: now)
            return claims
        }
        let kid = try Self.acceptableKeyID(token)
        guard let keys = await self.keys.keys(for: kid) else {
            throw TokenVerificationError(.unknownKey)
        }
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw TokenVerificationError(.badSignature)
        }
        guard claims.iss == self.issuer, claims.aud == self.audience, claims.sub == String(claims.id),
            !claims.sid.isEmpty, !claims.jti.isEmpty
        else {
            throw TokenVerificationError(.wrongClaims)
        }
        try self.checkTimes(claims, now: now)
        await self.cache.insert(claims, for: token, now: now)
        return claims
    }

    /// ``verify(_:)`` with a refusal turned into the contract's answer (401, or 401 "expired").
    package func claimsOrRefusal(for token: String) async throws -> AccessTokenClaims {
        do {
            return try await self.verify(token)
        } catch let error as TokenVerificationError {
            throw error.apiError
        }
    }

    private func checkTimes(_ claims: AccessTokenClaims, now: Double) throws {
        if Double(claims.exp) + self.leeway <= now {
            throw TokenVerificationError(.expired)
        }
        if Double(claims.nbf ?? claims.iat) - self.leeway > now {
            throw TokenVerificationError(.notYetValid)
        }
    }

    /// Reads the JOSE header and returns its `kid` when `alg` and `typ` are ours and nothing
    /// critical is asked of us; `alg: none`, HS256 and friends stop here.
    static func acceptableKeyID(_ token: String) throws -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty, let headerData = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: headerData)
        else {
            throw TokenVerificationError(.malformed)
        }
        guard header.alg == AccessTokenHeaderValues.algorithm,
            header.typ?.lowercased() == AccessTokenHeaderValues.type,
            header.crit == nil,
            let kid = header.kid, !kid.isEmpty
        else {
            throw TokenVerificationError(.unacceptableHeader)
        }
        return kid
    }

    private struct Header: Decodable {
        var alg: String?
        var typ: String?
        var kid: String?
        var crit: [String]?
    }
}
