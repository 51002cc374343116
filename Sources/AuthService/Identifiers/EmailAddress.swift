/// Email addresses compare case-insensitively, with the domain in its IDNA (UTS #46) ASCII form:
/// `Alice@Bücher.DE` and `alice@xn--bcher-kva.de` are one address.
enum EmailAddress {
    /// The comparison key of any stored or typed address; total, so tutorial rows always get one.
    static func key(of email: String) throws -> String {
        guard let at = email.lastIndex(of: "@") else { return try ICU.nfc(ICU.foldCase(email)) }
        let local = try ICU.nfc(ICU.foldCase(String(email[..<at])))
        let domain = String(email[email.index(after: at)...])
        return local + "@" + (try self.asciiDomain(domain) ?? ICU.nfc(ICU.foldCase(domain)))
    }

    /// The domain's ASCII form, lower-cased, or `nil` when it is not a valid host name.
    static func asciiDomain(_ domain: String) -> String? {
        ICU.domainToASCII(domain)
    }
}
