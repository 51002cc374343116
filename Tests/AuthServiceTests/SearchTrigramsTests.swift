@testable import AuthService
import Testing

@Suite("The part of a search the trigram index is asked for: pg_trgm's trigrams, none that most users share")
struct SearchTrigramsTests {
    @Test("a run's trigrams are padded only where the text, not the pattern's %, borders it")
    func trigramsAsPgTrgmTakesThem() {
        #expect(SearchTrigrams.trigrams(of: "Scale07").map(\.text) == ["sca", "cal", "ale", "le0", "e07"])
        // "a" stands alone before "@": "a " is too short; "bc" and "de" are bordered by the text.
        #expect(SearchTrigrams.trigrams(of: "a@bc.de").map(\.text) == ["  b", " bc", "bc ", "  d", " de"])
        #expect(SearchTrigrams.trigrams(of: "ab").isEmpty && SearchTrigrams.trigrams(of: "@.-").isEmpty)
        // A padded trigram depends on the character that makes the padding.
        #expect(SearchTrigrams.trigrams(of: "x@bcd").first == .init(text: "  b", span: 1..<3))
    }

    @Test("the part is the one with the most trigrams that are not common, and none that is")
    func partWithoutCommonTrigrams() {
        let scale: Set = ["sca", "cal", "ale", "le0", "e07"]
        #expect(SearchTrigrams.indexedPart(of: "scale0723456", common: scale) == "0723456")
        #expect(SearchTrigrams.indexedPart(of: "scale0723456", common: []) == "scale0723456")
        // Every trigram common, or none at all: the index cannot narrow the search.
        #expect(SearchTrigrams.indexedPart(of: "scale07", common: scale) == nil)
        #expect(SearchTrigrams.indexedPart(of: "ab", common: []) == nil)
        // A common domain: the name with the character that pads it ("jo " is its trigram).
        let mail: Set = ["  e", " ex", "exa", "xam", "amp", "mpl", "ple", "le ", "  c", " co", "com", "om "]
        #expect(SearchTrigrams.indexedPart(of: "jo@example.com", common: mail) == "jo@")
        // Two rare parts: the one with more trigrams, and no character more than they need.
        #expect(SearchTrigrams.indexedPart(of: "ab1@example.com.qrstu", common: mail) == ".qrstu")
    }
}
