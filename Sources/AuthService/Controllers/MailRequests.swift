import Common

/// The fields of the mail routes, each refused with a 400 that names it.
enum MailRequests {
    static let invalidResetLink = APIError(.badRequest, "Reset link is invalid or has expired")
    static let invalidVerificationLink = APIError(.badRequest, "Verification link is invalid or has expired")
    static let forgotAnswer = "If an account exists for that address, a reset link has been sent."

    /// A required, non-empty string field.
    static func required(_ fields: RequestFields, _ name: String) throws -> String {
        guard let value = try fields.string(name), !value.isEmpty else { throw APIError(.badRequest, "Failed! \(name) is required!") }
        return value
    }

    /// An address as signup accepts it, in NFC.
    static func email(_ fields: RequestFields, _ name: String) throws -> String {
        let typed = try self.required(fields, name)
        guard typed.unicodeScalars.count <= SignupRequest.maximumEmailLength * 4, PostgresText.canStore(typed) else {
            throw APIError(.badRequest, "Failed! \(name) must be a valid email address!")
        }
        let email = try ICU.nfc(typed)
        guard email.unicodeScalars.count <= SignupRequest.maximumEmailLength, SignupRequest.isPlausibleEmail(email) else {
            throw APIError(.badRequest, "Failed! \(name) must be a valid email address!")
        }
        return email
    }
}
