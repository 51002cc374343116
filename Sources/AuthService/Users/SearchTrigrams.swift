/// Which part of a search text the trigram index should be asked for. A GIN index read costs the
/// posting lists of every trigram of the pattern: one that most users share (every address's
/// `com`, or the `sca`, `cal`, `ale` of a million `scaleNNNNNNN` names) is a list of most of the
/// table, about 5 ms a trigram at a million users, however rare the text as a whole. Asked for the
/// longest part without such a trigram instead, the index reads only short lists, and the whole text
/// is checked on the few rows it returns: the same users, found by a part of the work.
///
/// The trigrams are pg_trgm's of a `%text%` pattern (`generate_wildcard_trgm`): per run of letters
/// and digits, lowercased, a run padded with two spaces before it when a non-word character precedes
/// it in the text, one space after it when one follows; no padding where the pattern's own `%` is.
enum SearchTrigrams {
    /// One trigram of a text and the characters it depends on: a padded one depends on the
    /// character next to the run, since the padding is there only if that character is.
    struct Trigram: Equatable {
        var text: String
        var span: Range<Int>
    }

    /// The trigrams pg_trgm takes from the pattern `%text%`, with their spans in `text`'s characters.
    static func trigrams(of text: String) -> [Trigram] {
        let characters = Array(text)
        var trigrams: [Trigram] = []
        var index = 0
        while index < characters.count {
            guard Self.isWordCharacter(characters[index]) else {
                index += 1
                continue
            }
            let start = index
            while index < characters.count, Self.isWordCharacter(characters[index]) { index += 1 }
            // The run with its padding, each position tagged with the character it stands for.
            var padded: [(character: String, position: Int)] = []
            if start > 0 { padded += [(" ", start - 1), (" ", start - 1)] }
            padded += (start..<index).map { (characters[$0].lowercased(), $0) }
            if index < characters.count { padded.append((" ", index)) }
            guard padded.count >= 3 else { continue }
            for offset in 0...(padded.count - 3) {
                let window = padded[offset..<(offset + 3)]
                trigrams.append(Trigram(text: window.map(\.character).joined(), span: window.first!.position..<(window.last!.position + 1)))
            }
        }
        return trigrams
    }

    /// The part of `text` to look up in the index: the one with the most trigrams outside `common`
    /// and none in it (the shortest on a tie). `nil` when every trigram of `text` is common, or it has
    /// none: the index cannot narrow such a search.
    static func indexedPart(of text: String, common: Set<String>) -> Substring? {
        let trigrams = Self.trigrams(of: text)
        let characters = Array(text)
        let commonSpans = trigrams.filter { common.contains($0.text) }.map(\.span)
        if commonSpans.isEmpty { return trigrams.isEmpty ? nil : text[...] }
        var best: (range: Range<Int>, trigrams: Int)?
        for start in 0..<characters.count {
            // The part may end anywhere short of completing a common trigram that starts in it.
            let end = commonSpans.filter { $0.lowerBound >= start }.map { $0.upperBound - 1 }.min() ?? characters.count
            guard end > start else { continue }
            let count = Set(trigrams.filter { $0.span.lowerBound >= start && $0.span.upperBound <= end }.map(\.text)).count
            guard count > 0 else { continue }
            if let current = best, current.trigrams > count || (current.trigrams == count && current.range.count <= end - start) {
                continue
            }
            best = (start..<end, count)
        }
        guard let best else { return nil }
        let lower = text.index(text.startIndex, offsetBy: best.range.lowerBound)
        return text[lower..<text.index(lower, offsetBy: best.range.count)]
    }

    /// pg_trgm's word characters (`ISWORDCHR`): letters and digits.
    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber
    }
}
