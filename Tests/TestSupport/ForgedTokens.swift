import Common
import Crypto
import Foundation
import JWTKit

/// Tokens built by hand rather than by jwt-kit: what an attacker or a broken issuer would send.
extension TokenMint {
    /// The header the auth service writes, as a dictionary a test can bend.
    package var standardHeader: [String: Any] {
        ["alg": "ES256", "typ": "at+jwt", "kid": self.kid]
    }

    /// A compact JWS from raw header and payload JSON, signed with this key (ES256, raw r||s).
    package func forge(header: [String: Any], payload: Data) throws -> String {
        let signingInput = try Self.signingInput(header: header, payload: payload)
        let key = try P256.Signing.PrivateKey(pemRepresentation: self.privateKey.pemRepresentation)
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }

    package static func signingInput(header: [String: Any], payload: Data) throws -> String {
        let headerJSON = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        return Base64URL.encode(headerJSON) + "." + Base64URL.encode(payload)
    }

    package static func payload(_ claims: AccessTokenClaims) throws -> Data {
        try JSONEncoder().encode(claims)
    }
}

/// The JSON object inside one base64url part of a compact token.
package func decodedPart(_ part: some StringProtocol) throws -> [String: Any] {
    let data = try required(Base64URL.decode(part), "not base64url: \(part)")
    return try required(try JSONSerialization.jsonObject(with: data) as? [String: Any], "not a JSON object: \(part)")
}

/// The token with its payload edited and its original header and signature kept.
package func tamperingPayload(of token: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
    let parts = token.split(separator: ".").map(String.init)
    guard parts.count == 3 else { throw FixtureFailure(description: "not a compact JWS: \(token)") }
    var payload = try decodedPart(parts[1])
    edit(&payload)
    return [parts[0], Base64URL.encode(try JSONSerialization.data(withJSONObject: payload)), parts[2]].joined(separator: ".")
}
