import Common
import Crypto
import Foundation

/// The pair a rotation produced, kept for grace-window replays sealed (AES-GCM) under a key derived
/// from the token that was rotated: only a holder of that old token can open it, so the store still
/// holds no usable token.
struct SuccessorPair: Codable, Sendable, Equatable {
    var accessToken: String
    var refreshToken: String
    /// The credential epoch the access token carries; `nil` in pairs sealed before epochs existed.
    var epoch: Int?
}

enum SuccessorSeal {
    static func seal(_ pair: SuccessorPair, under oldToken: String) throws -> String {
        let box = try AES.GCM.seal(try JSONEncoder().encode(pair), using: self.key(for: oldToken))
        guard let combined = box.combined else { throw SealError() }
        return combined.base64EncodedString()
    }

    static func open(_ sealed: String, under oldToken: String) throws -> SuccessorPair {
        guard let data = Data(base64Encoded: sealed) else { throw SealError() }
        let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: self.key(for: oldToken))
        return try JSONDecoder().decode(SuccessorPair.self, from: plain)
    }

    private static func key(for token: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(token.utf8)),
            salt: Data("refresh-successor-seal".utf8),
            info: Data(),
            outputByteCount: 32
        )
    }

    struct SealError: Error {}
}
