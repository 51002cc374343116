@testable import AuthService
import Testing

@Suite("The username profile: PRECIS UsernameCaseMapped with full case folding, and UTS #39 against lookalikes")
struct UsernameProfileTests {
    private func refusal(_ username: String) -> UsernameProfile.Refusal.Code? {
        do {
            _ = try UsernameProfile.enforce(username)
            return nil
        } catch let refusal as UsernameProfile.Refusal {
            return refusal.code
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test(
        "names that merely look like rootadmin are refused, each for its rule",
        arguments: [
            ("root\u{200B}admin", UsernameProfile.Refusal.Code.invisible),  // zero-width space
            ("root\u{AD}admin", .invisible),  // soft hyphen
            ("\u{202E}nimdatoor", .invisible),  // right-to-left override
            ("root\u{2060}admin", .invisible),  // word joiner
            ("root\u{200D}admin", .invisible),  // zero-width joiner, not after a virama
            ("r\u{043E}\u{043E}tadmin", .mixedScripts),  // Cyrillic о
            ("r\u{03BF}\u{03BF}tadmin", .mixedScripts),  // Greek ο
            ("\u{1D42B}\u{1D428}\u{1D428}\u{1D42D}admin", .notIdentifier),  // math-bold 𝐫𝐨𝐨𝐭
            ("root\u{24D0}dmin", .notIdentifier),  // circled ⓐ
            ("ﬁrootadmin", .notIdentifier),  // the ﬁ ligature
            ("root admin", .spaceOrControl),
            ("root\u{3000}admin", .spaceOrControl),  // ideographic space: fullwidth, but a space
            ("root\u{0}admin", .spaceOrControl),
            ("root\tadmin", .spaceOrControl),
            ("rootadmin😀", .notIdentifier),
            ("root★admin", .notIdentifier),
            ("root«admin»", .notIdentifier),  // punctuation beyond ASCII
        ]
    )
    func lookalikesRefused(username: String, code: UsernameProfile.Refusal.Code) {
        #expect(self.refusal(username) == code)
    }

    @Test("fullwidth letters map to their ASCII letters, so ｒｏｏｔａｄｍｉｎ is rootadmin")
    func fullwidthMapsToASCII() throws {
        #expect(try UsernameProfile.enforce("ｒｏｏｔａｄｍｉｎ") == "rootadmin")
        #expect(try UsernameProfile.enforce("ＲｏｏｔＡｄｍｉｎ") == "rootadmin")
        #expect(try UsernameProfile.key(of: "ｒｏｏｔ") == UsernameProfile.key(of: "root"))
    }

    @Test("the NFC and NFD spellings of a name have one key")
    func nfcAndNFDAreOne() throws {
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed.unicodeScalars.count != decomposed.unicodeScalars.count)
        #expect(try UsernameProfile.enforce(composed) == UsernameProfile.enforce(decomposed))
        #expect(try UsernameProfile.enforce(decomposed).unicodeScalars.count == 4)
    }

    @Test("full case folding makes ß and ss, ſ and s, ς and σ, and upper and lower case collide")
    func caseFolding() throws {
        #expect(try UsernameProfile.enforce("straße") == "strasse")
        #expect(try UsernameProfile.enforce("STRASSE") == "strasse")
        #expect(try UsernameProfile.enforce("Straße") == UsernameProfile.enforce("strasse"))
        #expect(try UsernameProfile.enforce("σοφος") == UsernameProfile.enforce("σοφοσ"))
        #expect(try UsernameProfile.enforce("ΣΟΦΟΣ") == UsernameProfile.enforce("σοφος"))
        // ſ is a compatibility character: refused for a new name, yet its key is that of s,
        // so signing in as ſam finds sam.
        #expect(self.refusal("ſam") == .notIdentifier)
        #expect(try UsernameProfile.key(of: "ſam") == UsernameProfile.enforce("sam"))
    }

    @Test("lookalikes share one confusable skeleton: Cyrillic and Greek o, rn for m, whole-script Cyrillic")
    func skeletons() throws {
        func skeleton(_ name: String) throws -> String {
            try UsernameProfile.skeleton(ofKey: UsernameProfile.key(of: name))
        }
        let root = try skeleton("rootadmin")
        #expect(try skeleton("r\u{043E}\u{043E}tadmin") == root)
        #expect(try skeleton("r\u{03BF}\u{03BF}tadmin") == root)
        #expect(try skeleton("rootadrnin") == root)
        #expect(try skeleton("RootAdmin") == root)
        #expect(try skeleton("rootadmins") != root)
        // Every letter Cyrillic: one script, so the profile lets it through; only the skeleton stops it.
        #expect(self.refusal("\u{0441}\u{043E}\u{0441}\u{043E}") == nil)
        #expect(try skeleton("\u{0441}\u{043E}\u{0441}\u{043E}") == skeleton("coco"))
    }

    @Test(
        "ordinary names of many scripts, ASCII punctuation and the contextual exceptions are accepted",
        arguments: [
            "alice", "Bob_the-builder.42", "josé", "Zoë", "müller", "łukasz", "Дмитрий", "Σωκράτης", "שלום", "שלום1",
            "مرحبا", "日本語abc", "たなか", "김민준", "ผู้ใช้", "col·lega", "a@b!c", "\u{915}\u{94D}\u{200D}\u{937}",
        ]
    )
    func acceptedNames(username: String) {
        #expect(self.refusal(username) == nil, "\(username.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test(
        "names whose direction can be misread are refused by the Bidi Rule",
        arguments: ["abcשלום", "שלוםabc", "1שלום", "\u{5E9}\u{5DC}\u{5D5}\u{5DD}\u{661}1"]
    )
    func bidiRule(username: String) {
        #expect(self.refusal(username) == .bidi)
    }

    @Test("a middle dot outside l·l, a keraia not before Greek and mixed Arabic digit systems are refused")
    func contextualRules() {
        #expect(self.refusal("a·b") == .notIdentifier)
        #expect(self.refusal("\u{375}a") == .notIdentifier)
        #expect(self.refusal("\u{375}\u{3B1}\u{3B2}") == nil)
        #expect(self.refusal("\u{645}\u{661}\u{6F1}") == .notIdentifier)
    }

    @Test("the key is total: names the profile refuses still get one, and it is the profile's key when accepted")
    func keyIsTotal() throws {
        for name in ["john doe", "emoji😀", "root\u{200B}admin", "\u{1D42B}oot", "Alice"] {
            #expect(try !UsernameProfile.key(of: name).isEmpty)
        }
        #expect(try UsernameProfile.key(of: "John Doe") == "john doe")
        #expect(try UsernameProfile.key(of: "Alice") == UsernameProfile.enforce("Alice"))
    }

    @Test("emails compare case-insensitively with the domain in its IDNA ASCII form")
    func emailKeys() throws {
        #expect(try EmailAddress.key(of: "Alice@Bücher.DE") == "alice@xn--bcher-kva.de")
        #expect(try EmailAddress.key(of: "ALICE@xn--bcher-kva.de") == "alice@xn--bcher-kva.de")
        #expect(try EmailAddress.key(of: "alice@ｅｘａｍｐｌｅ.com") == "alice@example.com")
        #expect(try EmailAddress.key(of: "Straße@example.com") == "strasse@example.com")
        #expect(EmailAddress.asciiDomain("bad_host.example") == nil)
        #expect(EmailAddress.asciiDomain("-bad.example") == nil)
        // A tutorial row with a domain IDNA refuses still gets a key.
        #expect(try EmailAddress.key(of: "Old@Bad_Host.example") == "old@bad_host.example")
    }
}
