/// How a session was authenticated, as its access tokens say in `amr` (RFC 8176). Kept with the
/// session, so that every refresh carries what the signin proved, no more and no less.
struct AuthenticationMethods: Sendable, Equatable {
    /// A second factor (TOTP or a recovery code) was proved after the password.
    var secondFactor: Bool

    static let password = AuthenticationMethods(secondFactor: false)
    static let passwordAndOTP = AuthenticationMethods(secondFactor: true)

    /// The `amr` claim.
    var claim: [String] { self.secondFactor ? ["pwd", "otp"] : ["pwd"] }

    /// What the session record keeps (`amr` in `session:<sid>`): absent in sessions opened before
    /// second factors existed, which proved a password only.
    var stored: String { self.secondFactor ? "pwd otp" : "pwd" }

    init(secondFactor: Bool) {
        self.secondFactor = secondFactor
    }

    init(stored: String?) {
        self.secondFactor = stored?.split(separator: " ").contains("otp") == true
    }
}
