import Foundation

/// The full check of one access token against a key set, synchronously: pinned `alg` per key, `typ`,
/// a known `kid`, the signature, then `iss`, `aud`, `sub`/`id`, `sid`, `jti`, `exp` and `nbf` with
/// leeway. No I/O and no shared state, so it runs wherever the caller is (an event loop included).
package struct AccessTokenRules: Sendable {
    package static let maximumTokenLength = 8192

    package let issuer: String
    package let audience: String
    package let leeway: Double

    package init(issuer: String, audience: String, leeway: Double) {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    package init(_ settings: TokenSettings) {
        self.init(issuer: settings.issuer, audience: settings.audience, leeway: Double(settings.leeway))
    }

    package func verify(_ token: String, keys: VerificationKeySet, now: Double) throws(TokenVerificationError) -> AccessTokenClaims {
        try self.verifiedToken(token, keys: keys, now: now).claims
    }

    /// ``verify(_:keys:now:)``, also naming the key that signed: a cache of verified tokens must drop
    /// a token whose key is no longer published (a key retired, perhaps because it leaked).
    package func verifiedToken(
        _ token: String, keys: VerificationKeySet, now: Double
    ) throws(TokenVerificationError) -> (claims: AccessTokenClaims, kid: String) {
        let parts = try Self.split(token)
        let header = try Self.decode(Header.self, parts.header)
        guard header.typ?.lowercased() == AccessTokenType.value, header.crit == nil, let kid = header.kid, !kid.isEmpty else {
            throw TokenVerificationError(.unacceptableHeader)
        }
        guard let key = keys.key(for: kid) else {
            throw TokenVerificationError(keys.isEmpty ? .noKeys : .unknownKey)
        }
        // The key decides the algorithm; the header must agree with it, never the other way round.
        guard header.alg == key.algorithm else {
            throw TokenVerificationError(.unacceptableHeader)
        }
        guard let signature = Base64URL.decode(parts.signature), key.isValidSignature(Array(signature), over: parts.signingInput) else {
            throw TokenVerificationError(.badSignature)
        }
        let claims = try Self.decode(AccessTokenClaims.self, parts.payload)
        guard claims.iss == self.issuer, claims.aud == self.audience, claims.sub == String(claims.id),
            !claims.sid.isEmpty, !claims.jti.isEmpty
        else {
            throw TokenVerificationError(.wrongClaims)
        }
        try claims.checkTimes(now: now, leeway: self.leeway)
        return (claims, kid)
    }

    /// The time checks alone, for a token whose signature was checked before (a cache hit).
    package func checkTimes(_ claims: AccessTokenClaims, now: Double) throws(TokenVerificationError) {
        try claims.checkTimes(now: now, leeway: self.leeway)
    }

    private struct Parts {
        var header: Substring
        var payload: Substring
        var signature: Substring
        var signingInput: ArraySlice<UInt8>
    }

    private static func split(_ token: String) throws(TokenVerificationError) -> Parts {
        guard token.utf8.count <= Self.maximumTokenLength else { throw TokenVerificationError(.malformed) }
        let pieces = token.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 3, !pieces[0].isEmpty, !pieces[1].isEmpty, !pieces[2].isEmpty else {
            throw TokenVerificationError(.malformed)
        }
        let bytes = Array(token.utf8)
        let signingInputLength = pieces[0].utf8.count + 1 + pieces[1].utf8.count
        return Parts(header: pieces[0], payload: pieces[1], signature: pieces[2], signingInput: bytes[0..<signingInputLength])
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ part: Substring) throws(TokenVerificationError) -> T {
        guard let data = Base64URL.decode(part), let value = try? JSONDecoder().decode(T.self, from: data) else {
            throw TokenVerificationError(.malformed)
        }
        return value
    }

    private struct Header: Decodable {
        var alg: String?
        var typ: String?
        var kid: String?
        var crit: [String]?
    }
}
