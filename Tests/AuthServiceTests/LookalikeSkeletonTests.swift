@testable import AuthService
import Testing

@Suite("The lookalike skeleton of a name as typed: names that look alike as displayed, in either case, share it")
struct LookalikeSkeletonTests {
    /// Names that look alike as displayed, in pairs: capital I, small l and digit 1; O and 0; rn and m;
    /// a dot above an i; fullwidth forms; composed and decomposed accents. Signup refuses each second
    /// name while the first exists (``SignupLookalikeTests``).
    static let lookalikePairs = [
        ("xxxI", "xxxl"), ("xxx1", "xxxl"), ("xxxI", "xxx1"), ("XXX0", "XXXO"), ("xxx0", "xxxo"), ("B0B", "BOB"),
        ("PaypaI", "Paypal"), ("rootadrnin", "rootadmin"), ("rootadmi\u{307}n", "rootadmin"), ("rootadmij\u{307}", "rootadmij"),
        ("ＸＸＸＩ", "xxxl"), ("caf\u{E9}", "cafe\u{301}"),
    ]

    @Test("pairs that look alike collide: capital I, small l and digit 1; O and 0; rn and m; a dot above an i", arguments: Self.lookalikePairs)
    func lookalikesCollide(first: String, second: String) throws {
        #expect(try UsernameProfile.lookalikeSkeleton(of: first) == UsernameProfile.lookalikeSkeleton(of: second))
    }

    @Test(
        "names that do not look alike keep distinct skeletons: i is not l, an accent is not a dot, two dots show",
        arguments: [
            ("xxxi", "xxxl"), ("alice", "alicia"), ("rootadmi\u{301}n", "rootadmin"), ("rootadmi\u{307}\u{307}n", "rootadmin"),
            ("xxxa", "xxxo"),
        ]
    )
    func othersStayApart(first: String, second: String) throws {
        #expect(try UsernameProfile.lookalikeSkeleton(of: first) != UsernameProfile.lookalikeSkeleton(of: second))
    }

    @Test("the skeleton of the folded key alone misses what the typed name shows: xxxI and xxxl have different key skeletons")
    func keySkeletonMissesTypedCase() throws {
        let typed = try UsernameProfile.skeleton(ofKey: UsernameProfile.key(of: "xxxI"))
        #expect(typed != (try UsernameProfile.skeleton(ofKey: UsernameProfile.key(of: "xxxl"))))
        #expect(try AccountKeys(username: "xxxI", email: "a@example.com").usernameLookalike
            == AccountKeys(username: "xxxl", email: "b@example.com").usernameLookalike)
    }

    @Test("only a dot above right after a soft-dotted letter, or after marks below it, is dropped")
    func redundantDots() {
        #expect(UsernameProfile.droppingRedundantDots("i\u{307}j\u{307}") == "ij")
        #expect(UsernameProfile.droppingRedundantDots("i\u{323}\u{307}") == "i\u{323}")
        #expect(UsernameProfile.droppingRedundantDots("i\u{301}\u{307}") == "i\u{301}\u{307}")
        #expect(UsernameProfile.droppingRedundantDots("a\u{307}") == "a\u{307}")
        #expect(UsernameProfile.droppingRedundantDots("i\u{307}\u{307}") == "i\u{307}")
    }
}
