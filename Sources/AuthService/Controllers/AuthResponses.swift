import Hummingbird

/// `{"message": ...}` for successes that carry only a message.
struct MessageResponse: ResponseEncodable, Equatable {
    var message: String
}

/// The signin body, in the tutorial's field order.
struct SigninResponse: ResponseEncodable {
    var id: Int
    var username: String
    var email: String
    var roles: [String]
    var accessToken: String
    var refreshToken: String
}

/// The refresh body: a new access token and the session's next refresh token.
struct RefreshResponse: ResponseEncodable {
    var accessToken: String
    var refreshToken: String
}

