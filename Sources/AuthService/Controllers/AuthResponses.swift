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

/// The refresh body: a new access token and the session's next refresh token; in
/// `SESSION_COOKIES=only` mode, where the pair travels in cookies, a message instead.
struct RefreshResponse: ResponseEncodable {
    var message: String?
    var accessToken: String?
    var refreshToken: String?
}

