/// Single-use recovery codes: ten of them, each 12 characters of a 31-letter alphabet without look-alikes
/// (59 bits), shown once as `xxxx-xxxx-xxxx` and stored only as keyed hashes (``SecretBox``).
enum RecoveryCodes {
    static let count = 10
    private static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    static func generate() -> [String] {
        var generator = SystemRandomNumberGenerator()
        return (0..<self.count).map { _ in
            let characters = (0..<12).map { _ in self.alphabet.randomElement(using: &generator)! }
            return [characters[0..<4], characters[4..<8], characters[8..<12]].map { String($0) }.joined(separator: "-")
        }
    }

    /// What is hashed: lower case, without dashes and spaces; `nil` for what no code could be.
    static func normalise(_ typed: String) -> String? {
        let kept = typed.lowercased().filter { $0 != "-" && $0 != " " }
        guard kept.count == 12, kept.allSatisfy({ self.alphabet.contains($0) }) else { return nil }
        return kept
    }
}
