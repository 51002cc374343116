import Common
import Redis

extension RevocationStream {
    /// Entries of an `XRANGE` reply (or of one stream in an `XREAD` reply), in order; an entry
    /// that is not one of ours is `nil`, so the feed still advances past it.
    static func entries(in reply: RedisValue) -> [(StreamID, RevocationEntry?)] {
        guard let items = reply.array else { return [] }
        return items.compactMap { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string.flatMap({ StreamID($0) }) else { return nil }
            return (id, pair[1].array.flatMap { RevocationEntry(fields: $0.map(\.string)) })
        }
    }
}
