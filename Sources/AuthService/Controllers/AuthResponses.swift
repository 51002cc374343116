import Hummingbird

/// `{"message": ...}` for successes that carry only a message.
struct MessageResponse: ResponseEncodable, Equatable {
    var message: String
}

/// The signin body, in the tutorial's field order; without the tokens in `SESSION_COOKIES=only` mode
/// (a `nil` field is left out).
struct SigninResponse: ResponseEncodable {
    var id: Int
    var username: String
    var email: String
    var roles: [String]
    var accessToken: String?
    var refreshToken: String?
}

/// The answer to a right password of an account with a second factor: no tokens yet.
struct SecondFactorChallenge: Encodable, Sendable {
    var mfaRequired = true
    var mfaToken: String
    var message = "Enter your authentication code"
}

/// A signin's body: the tutorial's, or the second factor's challenge.
enum SigninAnswer: ResponseEncodable {
    case signedIn(SigninResponse)
    case challenge(SecondFactorChallenge)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .signedIn(let response): try response.encode(to: encoder)
        case .challenge(let challenge): try challenge.encode(to: encoder)
        }
    }
}

/// The refresh body: a new access token and the session's next refresh token; in
/// `SESSION_COOKIES=only` mode, where the pair travels in cookies, a message instead.
struct RefreshResponse: ResponseEncodable {
    var message: String?
    var accessToken: String?
    var refreshToken: String?
}

