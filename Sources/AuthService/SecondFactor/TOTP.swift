import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238) as every authenticator app computes them by default:
/// HMAC-SHA1, 6 digits, 30-second steps from the Unix epoch.
struct TOTP: Sendable {
    let secret: [UInt8]
    var digits = 6
    var period = 30

    /// The step a Unix time falls in.
    func step(at time: Double) -> Int64 {
        Int64((time / Double(self.period)).rounded(.down))
    }

    /// The code of one step (RFC 4226 §5.3 dynamic truncation), zero-padded.
    func code(atStep step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: self.secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<self.digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: self.digits - value.count) + value
    }

    /// The step whose code `code` is, among the current one and `drift` steps either side, checked
    /// in constant time per step; `nil` when none matches. The caller refuses a step already used.
    func matchingStep(of code: String, at time: Double, drift: Int64 = 1) -> Int64? {
        guard code.utf8.count == self.digits, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        let now = self.step(at: time)
        var found: Int64?
        for step in (now - drift)...(now + drift) where Self.constantTimeEqual(self.code(atStep: step), code) {
            found = found ?? step
        }
        return found
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// A new secret: 160 random bits, the length RFC 4226 recommends for HMAC-SHA1.
    static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The `otpauth://` URI an authenticator app scans (the Key Uri Format of Google Authenticator).
    static func provisioningURI(secret: [UInt8], issuer: String, account: String) -> String {
        // RFC 3986 unreserved characters only: a name in any script is percent-encoded as UTF-8.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func escape(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        let encodedSecret = Base32.encode(secret)
        return "otpauth://totp/\(escape(issuer)):\(escape(account))?secret=\(encodedSecret)&issuer=\(escape(issuer))&algorithm=SHA1&digits=6&period=30"
    }
}
