import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The trigrams that many users' names and addresses share, from the statistics PostgreSQL keeps on
/// them (`users_search_trigrams`, migration 13, refreshed by every ANALYZE of `users`), read again
/// at most every ``refreshInterval``. Without statistics (a table never analysed, or not ours to
/// read them) no trigram is common, and a search asks the index for all of its text.
final class CommonTrigrams: Sendable {
    /// A trigram is common when at least this share of users has it: a posting list of 2 % of a
    /// million users is some 20,000 entries, a few pages, which a search may well read.
    static let threshold = 0.02
    static let refreshInterval: TimeInterval = 600

    private struct Snapshot {
        var trigrams: Set<String>
        var readAt: Date
    }

    private let snapshot = Mutex<Snapshot?>(nil)
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    /// The common trigrams, read on `connection` when none were read for ``refreshInterval``.
    func current(on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        let now = self.now()
        if let snapshot = self.snapshot.withLock({ $0 }), now.timeIntervalSince(snapshot.readAt) < Self.refreshInterval {
            return snapshot.trigrams
        }
        var trigrams = Set<String>()
        for try await (elements, frequencies) in try await connection.query(Self.statement, logger: logger).decode(([String], [Double]).self) {
            // The frequencies end with three summary figures (minimum, maximum, nulls), not elements'.
            for (element, frequency) in zip(elements, frequencies) where frequency >= Self.threshold {
                trigrams.insert(element)
            }
        }
        self.snapshot.withLock { $0 = Snapshot(trigrams: trigrams, readAt: now) }
        return trigrams
    }

    /// The most common elements of the trigram arrays, with the share of users that has each.
    private static let statement: PostgresQuery = """
        SELECT most_common_elems::text::text[], most_common_elem_freqs::float8[] FROM pg_stats_ext_exprs
        WHERE statistics_name = 'users_search_trigrams' AND schemaname = current_schema() AND most_common_elems IS NOT NULL
        """
}
