/// The PRECIS IdentifierClass (RFC 8264 §9.2): which code points a username may hold, derived
/// from Unicode properties in the order of RFC 8264 §8 and judged in context where RFC 5892
/// Appendix A says so.
enum IdentifierClass {
    /// Why a code point is not allowed; the order is the one the derivation checks in.
    enum Refusal: Sendable, Equatable {
        /// Zs spaces and Cc controls.
        case spaceOrControl
        /// Default-ignorable (zero-width space, soft hyphen, bidi overrides), format characters
        /// and the joiners outside the contexts RFC 5892 allows.
        case invisible
        /// Symbols, non-ASCII punctuation, compatibility forms (math bold, circled, ligatures),
        /// unassigned and historic jamo: everything else the class excludes.
        case notIdentifier
    }

    /// The first refused code point of `text`, with the reason, or `nil` when all are allowed.
    static func firstRefusal(in text: String) -> (scalar: Unicode.Scalar, refusal: Refusal)? {
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if let refusal = self.refusal(of: scalar, at: index, in: scalars) {
                return (scalar, refusal)
            }
        }
        return nil
    }

    private static func refusal(of scalar: Unicode.Scalar, at index: Int, in scalars: [Unicode.Scalar]) -> Refusal? {
        if let exception = Self.exceptions[scalar.value] {
            switch exception {
            case .valid: return nil
            case .disallowed: return .notIdentifier
            case .contextual: return self.contextAllows(scalar, at: index, in: scalars) ? nil : .notIdentifier
            }
        }
        let category = ICU.category(scalar)
        if category == .unassigned, !ICU.isNoncharacter(scalar) { return .notIdentifier }
        if (0x21...0x7E).contains(scalar.value) { return nil }
        if ICU.isJoinControl(scalar) {
            return self.joinerAllowed(at: index, in: scalars) ? nil : .invisible
        }
        if ICU.isConjoiningJamo(scalar) { return .notIdentifier }
        if ICU.isDefaultIgnorable(scalar) || ICU.isNoncharacter(scalar) { return .invisible }
        if category == .control { return .spaceOrControl }
        if self.hasCompatibilityMapping(scalar) { return .notIdentifier }
        switch category {
        case .letterDigit: return nil
        case .space: return .spaceOrControl
        case .format: return .invisible
        // Lt, Nl, No, Me, symbols, punctuation, separators, surrogates, private use.
        case .control, .unassigned, .other: return .notIdentifier
        }
    }

    /// HasCompat: NFKC changes the code point.
    private static func hasCompatibilityMapping(_ scalar: Unicode.Scalar) -> Bool {
        let text = String(scalar)
        return (try? ICU.nfkc(text)) != text
    }

    private enum Exception { case valid, disallowed, contextual }

    /// RFC 5892 §2.6 Exceptions (F), which RFC 8264 takes over.
    private static let exceptions: [UInt32: Exception] = {
        var table: [UInt32: Exception] = [
            0x00DF: .valid, 0x03C2: .valid, 0x06FD: .valid, 0x06FE: .valid, 0x0F0B: .valid, 0x3007: .valid,
            0x00B7: .contextual, 0x0375: .contextual, 0x05F3: .contextual, 0x05F4: .contextual, 0x30FB: .contextual,
            0x0640: .disallowed, 0x07FA: .disallowed, 0x302E: .disallowed, 0x302F: .disallowed, 0x303B: .disallowed,
        ]
        for value: UInt32 in 0x0660...0x0669 { table[value] = .contextual }
        for value: UInt32 in 0x06F0...0x06F9 { table[value] = .contextual }
        for value: UInt32 in 0x3031...0x3035 { table[value] = .disallowed }
        return table
    }()

    /// RFC 5892 Appendix A.3–A.9 (CONTEXTO).
    private static func contextAllows(_ scalar: Unicode.Scalar, at index: Int, in scalars: [Unicode.Scalar]) -> Bool {
        let before = index > 0 ? scalars[index - 1] : nil
        let after = index + 1 < scalars.count ? scalars[index + 1] : nil
        switch scalar.value {
        case 0x00B7:
            // Catalan l·l only.
            return before == "l" && after == "l"
        case 0x0375:
            return after.map { ICU.script($0) == .greek } ?? false
        case 0x05F3, 0x05F4:
            return before.map { ICU.script($0) == .hebrew } ?? false
        case 0x30FB:
            return scalars.contains { other in
                other != scalar && [.hiragana, .katakana, .han].contains(ICU.script(other))
            }
        case 0x0660...0x0669:
            return !scalars.contains { (0x06F0...0x06F9).contains($0.value) }
        case 0x06F0...0x06F9:
            return !scalars.contains { (0x0660...0x0669).contains($0.value) }
        default:
            return false
        }
    }

    /// RFC 5892 Appendix A.1–A.2 (CONTEXTJ): a joiner only after a virama, and ZWNJ also between
    /// joining letters, as Persian and the Indic scripts need them.
    private static func joinerAllowed(at index: Int, in scalars: [Unicode.Scalar]) -> Bool {
        let virama: Int32 = 9
        if index > 0, ICU.combiningClass(scalars[index - 1]) == virama { return true }
        guard scalars[index].value == 0x200C else { return false }
        // (L|D) T* ZWNJ T* (R|D)
        var left = index - 1
        while left >= 0, ICU.joiningType(scalars[left]) == .transparent { left -= 1 }
        var right = index + 1
        while right < scalars.count, ICU.joiningType(scalars[right]) == .transparent { right += 1 }
        guard left >= 0, right < scalars.count else { return false }
        let leftType = ICU.joiningType(scalars[left])
        let rightType = ICU.joiningType(scalars[right])
        return (leftType == .left || leftType == .dual) && (rightType == .right || rightType == .dual)
    }
}
