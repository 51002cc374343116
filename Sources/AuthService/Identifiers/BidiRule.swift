import CICU

/// The Bidi Rule of RFC 5893 §2, which RFC 8265 applies to usernames holding right-to-left
/// characters: such a name must read unambiguously, so that `abc` + Hebrew and Hebrew + `abc`
/// cannot display alike.
enum BidiRule {
    static func allows(_ text: String) -> Bool {
        let classes = text.unicodeScalars.map(ICU.bidiClass)
        guard classes.contains(where: { $0 == .rightToLeft || $0 == .arabicLetter || $0 == .arabicNumber }) else {
            // Left-to-right text only: the rule does not apply.
            return true
        }
        guard let first = classes.first else { return true }
        let last = classes.last { $0 != .nonspacingMark }
        switch first {
        case .rightToLeft, .arabicLetter:
            let allowed: Set<AuthICUBidi> = [
                .rightToLeft, .arabicLetter, .arabicNumber, .europeanNumber, .europeanSeparator, .commonSeparator,
                .europeanTerminator, .otherNeutral, .boundaryNeutral, .nonspacingMark,
            ]
            guard classes.allSatisfy(allowed.contains) else { return false }
            guard let last, [.rightToLeft, .arabicLetter, .europeanNumber, .arabicNumber].contains(last) else { return false }
            // European and Arabic digits never mix in one right-to-left name.
            return !(classes.contains(.europeanNumber) && classes.contains(.arabicNumber))
        case .leftToRight:
            let allowed: Set<AuthICUBidi> = [
                .leftToRight, .europeanNumber, .europeanSeparator, .commonSeparator, .europeanTerminator,
                .otherNeutral, .boundaryNeutral, .nonspacingMark,
            ]
            guard classes.allSatisfy(allowed.contains) else { return false }
            return last == .leftToRight || last == .europeanNumber
        default:
            return false
        }
    }
}
