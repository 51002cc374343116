/// The PRECIS UsernameCaseMapped profile (RFC 8265 §3.3) with Unicode full case folding, plus
/// the UTS #39 restriction on mixing scripts: what makes two usernames "the same" here.
///
/// ``key(of:)`` is total: it maps any string, and a tutorial account whose stored name the
/// profile would refuse still has a key and still signs in. ``enforce(_:)`` is what a new name
/// must pass at signup.
enum UsernameProfile {
    /// Why a username was refused, with a code per rule.
    struct Refusal: Error, Equatable {
        struct Code: Hashable, Sendable {
            private enum Backing { case spaceOrControl, invisible, notIdentifier, bidi, mixedScripts, empty }
            private let backing: Backing
            static let spaceOrControl = Code(backing: .spaceOrControl)
            static let invisible = Code(backing: .invisible)
            static let notIdentifier = Code(backing: .notIdentifier)
            static let bidi = Code(backing: .bidi)
            static let mixedScripts = Code(backing: .mixedScripts)
            static let empty = Code(backing: .empty)
        }

        var code: Code
    }

    /// Preparation, then the case mapping, normalisation and directionality rules: the key a
    /// new name is stored and compared under.
    static func enforce(_ username: String) throws -> String {
        let prepared = self.widthMapped(username)
        if let (_, refusal) = IdentifierClass.firstRefusal(in: prepared) {
            switch refusal {
            case .spaceOrControl: throw Refusal(code: .spaceOrControl)
            case .invisible: throw Refusal(code: .invisible)
            case .notIdentifier: throw Refusal(code: .notIdentifier)
            }
        }
        let key = try ICU.nfc(try ICU.foldCase(prepared))
        guard !key.isEmpty else { throw Refusal(code: .empty) }
        guard BidiRule.allows(key) else { throw Refusal(code: .bidi) }
        // Cyrillic or Greek letters among Latin ones (`rооtadmin`) read as another name.
        guard !ICU.failsSpoofChecks(key) else { throw Refusal(code: .mixedScripts) }
        return key
    }

    /// The comparison key of any stored or typed name, valid or not: width mapping, full case
    /// folding, NFC. Equal to ``enforce(_:)``'s result for every name it accepts.
    static func key(of username: String) throws -> String {
        try ICU.nfc(try ICU.foldCase(self.widthMapped(username)))
    }

    /// The key's UTS #39 confusable skeleton: `rootadmin`, `rооtadmin` (Cyrillic) and `rootadrnin`
    /// share one, and only one account may hold it.
    static func skeleton(ofKey key: String) throws -> String {
        try ICU.skeleton(key)
    }

    /// The confusable skeleton of the name as typed, the way it is displayed: UTS #39 skeleton of its
    /// width-mapped NFC form, then case-folded (and NFC again), so `xxxI` (capital i) and `xxxl`, or
    /// `XXX0` and `XXXO`, which the skeleton of the folded key tells apart, collide. A dot above
    /// (U+0307) on a soft-dotted letter (`i`, `j`) is dropped first: `i` already shows a dot, so
    /// `rootadmi\u{307}n` is drawn exactly like `rootadmin`. Total, like ``key(of:)``.
    static func lookalikeSkeleton(of username: String) throws -> String {
        let typed = try ICU.nfc(self.widthMapped(username))
        return try ICU.nfc(try ICU.foldCase(try ICU.skeleton(self.droppingRedundantDots(typed))))
    }

    /// Removes U+0307 COMBINING DOT ABOVE where Unicode's After_Soft_Dotted condition holds: after a
    /// Soft_Dotted letter with no base or other mark above in between.
    static func droppingRedundantDots(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        var afterSoftDotted = false
        for scalar in text.unicodeScalars {
            let combiningClass = ICU.combiningClass(scalar)
            if scalar.value == 0x307, afterSoftDotted {
                // One dot is the letter's own; a second would show.
                afterSoftDotted = false
                continue
            }
            if ICU.isSoftDotted(scalar) {
                afterSoftDotted = true
            } else if combiningClass == 0 || combiningClass == 230 {
                afterSoftDotted = false
            }
            kept.append(scalar)
        }
        return String(kept)
    }

    /// RFC 8265 width mapping: fullwidth and halfwidth forms become their decomposition mapping
    /// (`ａｌｉｃｅ` → `alice`).
    static func widthMapped(_ text: String) -> String {
        var mapped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if ICU.isWidthForm(scalar), let mapping = ICU.decompositionMapping(scalar) {
                mapped.append(contentsOf: mapping.unicodeScalars)
            } else {
                mapped.append(scalar)
            }
        }
        return String(mapped)
    }
}
