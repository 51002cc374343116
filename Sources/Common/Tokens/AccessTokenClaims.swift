import Foundation
import JWTKit

/// The claims of an access token (`typ: at+jwt`).
///
/// Times are whole seconds since the epoch, as most JWT clients expect. `id` repeats `sub` as the
/// integer the tutorial's clients read. `jti` is a UUIDv7, so it also carries the issue time to the
/// millisecond, which revocation cut-offs compare against. `epoch` is the account's credential epoch
/// the token was issued under: a change to the account raises the epoch, and every token below it is
/// refused however late it was signed.
package struct AccessTokenClaims: JWTPayload, Equatable {
    package var iss: String
    package var aud: String
    package var sub: String
    package var id: Int
    package var roles: [String]
    package var sid: String
    package var jti: String
    package var iat: Int
    package var nbf: Int?
    package var exp: Int
    /// ``CredentialEpoch``; `nil` in tokens signed before epochs existed, which only the time cut-offs
    /// refuse.
    package var epoch: Int?
    /// How the session was authenticated (RFC 8176): `["pwd"]`, or `["pwd", "otp"]` after a second
    /// factor; `nil` in tokens signed before second factors existed, read as `["pwd"]`.
    package var amr: [String]?

    package init(
        iss: String, aud: String, id: Int, roles: [String], sid: String, jti: String,
        iat: Int, exp: Int, epoch: Int? = nil, amr: [String]? = nil
    ) {
        self.iss = iss
        self.aud = aud
        self.sub = String(id)
        self.id = id
        self.roles = roles
        self.sid = sid
        self.jti = jti
        self.iat = iat
        self.nbf = iat
        self.exp = exp
        self.epoch = epoch
        self.amr = amr
    }

    /// jwt-kit's hook: a token verified through `JWTKeyCollection` directly gets the time checks too.
    package func verify(using algorithm: some JWTAlgorithm) async throws {
        try self.checkTimes(now: Date().timeIntervalSince1970, leeway: Double(TokenSettings.defaultLeeway))
    }

    /// `exp` and `nbf` (or `iat`) against `now`, with `leeway` seconds of clock skew either way.
    package func checkTimes(now: Double, leeway: Double) throws(TokenVerificationError) {
        if Double(self.exp) + leeway <= now {
            throw TokenVerificationError(.expired)
        }
        if Double(self.nbf ?? self.iat) - leeway > now {
            throw TokenVerificationError(.notYetValid)
        }
    }

    package func hasRole(_ role: String) -> Bool {
        self.roles.contains(role)
    }

    /// Whether the session proved a second factor (`otp` in `amr`).
    package var hasSecondFactor: Bool {
        self.amr?.contains("otp") == true
    }

    /// When the token was issued, in milliseconds: from the UUIDv7 `jti`, else from `iat`.
    package var issuedAtMilliseconds: Int64 {
        UUIDv7.milliseconds(of: self.jti) ?? Int64(self.iat) * 1000
    }
}

/// The fixed JOSE header value of our access tokens (RFC 9068).
package enum AccessTokenType {
    package static let value = "at+jwt"
}
