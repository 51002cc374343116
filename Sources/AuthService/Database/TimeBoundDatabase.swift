import Common
import Foundation
import Logging
import PostgresNIO
import Tracing

/// How long the auth service waits on PostgreSQL, and how far before that writes stop counting.
struct DatabaseTimeouts: Sendable, Equatable {
    /// One database operation, waiting for a pooled connection included (`DATABASE_TIMEOUT`).
    var operation: Duration
    /// A write must run at least this long before the caller gives up, or it changes nothing
    /// (`DATABASE_WRITE_MARGIN`): room for the reply's trip back and for clock skew.
    var writeMargin: Duration

    static let standard = DatabaseTimeouts(operation: .seconds(4), writeMargin: .seconds(1))
}

/// The database could not answer in time, or the connection broke: the request fails with 503
/// and, thanks to the write deadline, changes nothing.
struct DatabaseUnavailable: Error, CustomStringConvertible {
    struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String { case timedOut, connectionLost, writeDeadlinePassed }
        private let backing: Backing
        /// No connection or no answer within ``DatabaseTimeouts/operation``.
        static let timedOut = Code(backing: .timedOut)
        static let connectionLost = Code(backing: .connectionLost)
        /// The statement ran after its deadline and so did nothing.
        static let writeDeadlinePassed = Code(backing: .writeDeadlinePassed)
        var description: String { self.backing.rawValue }
    }

    var code: Code
    var operation: String
    var description: String { "database \(self.operation): \(self.code)" }
}

/// Runs each database operation against a deadline. PostgresNIO's pool gives up a lease when its
/// task is cancelled, but a statement sent to a stalled server waits for ever: at the deadline the
/// connection is closed, which fails the statement, and the pool replaces the connection.
///
/// A closed connection does not stop a statement the server already received: once resumed it
/// runs it. So writes compare `clock_timestamp()` with ``WriteDeadline`` in the statement itself,
/// which assumes the clocks of the auth hosts and of PostgreSQL agree to within
/// ``DatabaseTimeouts/writeMargin`` (NTP keeps them within milliseconds).
struct TimeBoundDatabase: Sendable {
    let client: PostgresClient
    let timeouts: DatabaseTimeouts
    let clock: any WallClock

    init(client: PostgresClient, timeouts: DatabaseTimeouts = .standard, clock: any WallClock = SystemWallClock()) {
        self.client = client
        self.timeouts = timeouts
        self.clock = clock
    }

    /// The wall-clock time after which a write of this operation must change nothing.
    struct WriteDeadline: Sendable {
        var date: Date
    }

    /// Runs `body` on a pooled connection within ``DatabaseTimeouts/operation``, or `limit` when given.
    func run<T: Sendable>(
        _ operation: String,
        limit: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection, WriteDeadline) async throws -> T
    ) async throws -> T {
        let limit = limit ?? self.timeouts.operation
        let deadline = ContinuousClock.now + limit
        let writeDeadline = WriteDeadline(
            date: Date(timeIntervalSince1970: self.clock.now() + (limit - self.timeouts.writeMargin).inSeconds)
        )
        let lease = LeaseState()
        let work = Task {
            try await Self.traced(operation) {
                try await self.client.withConnection { connection in
                    guard await lease.attach(connection) else {
                        throw DatabaseUnavailable(code: .timedOut, operation: operation)
                    }
                    return try await body(connection, writeDeadline)
                }
            }
        }
        // The answer is whichever comes first, the work or the deadline, and the loser is not waited
        // for: a lease request queued behind connections that cannot be made does not always honour
        // cancellation, and a caller that waited for it would wait as long as the stall.
        let outcome = FirstOutcome<T>()
        let timer = Task {
            try await Task.sleep(until: deadline, clock: .continuous)
            if let connection = await lease.expire() {
                // The only way to stop waiting for a statement on a stalled server; not awaited,
                // for the same reason.
                connection.close().whenComplete { _ in }
            }
            work.cancel()
            await outcome.settle(.failure(DatabaseUnavailable(code: .timedOut, operation: operation)))
        }
        Task {
            let result = await work.result
            // Done in time: the connection is back in the pool, and the deadline must not touch it.
            await lease.finish()
            timer.cancel()
            await outcome.settle(result)
        }
        do {
            return try await outcome.value()
        } catch {
            // The deadline explains whatever broke after it (a closed connection, a cancelled lease).
            if await lease.isExpired { throw DatabaseUnavailable(code: .timedOut, operation: operation) }
            if let error = error as? PSQLError, Self.meansUnavailable(error) {
                throw DatabaseUnavailable(code: .connectionLost, operation: operation)
            }
            throw error
        }
    }

    /// Within a traced request (``TraceExport``), a client span named by the operation, around its
    /// wait for a connection and its statements; elsewhere (background work) no span.
    private static func traced<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        guard ServiceContext.current != nil else { return try await body() }
        return try await withSpan("db \(operation)", ofKind: .client) { span in
            span.attributes["db.system"] = "postgresql"
            return try await body()
        }
    }

    /// Connection-level failures and the server's "cannot serve now" states, as opposed to an error
    /// in the statement itself (a unique violation, say).
    static func meansUnavailable(_ error: PSQLError) -> Bool {
        guard error.code == .server else { return true }
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53")
    }
}

extension Duration {
    var inSeconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}

/// The first of several results, handed to the one waiter: later ones are dropped.
private actor FirstOutcome<T: Sendable> {
    private var result: Result<T, any Error>?
    private var waiter: CheckedContinuation<T, any Error>?

    func settle(_ result: Result<T, any Error>) {
        guard self.result == nil else { return }
        self.result = result
        self.waiter?.resume(with: result)
        self.waiter = nil
    }

    func value() async throws -> T {
        if let result = self.result { return try result.get() }
        return try await withCheckedThrowingContinuation { self.waiter = $0 }
    }
}

/// Which connection an operation holds, so that the deadline can close it; once expired, a
/// connection leased too late is never used.
private actor LeaseState {
    private var connection: PostgresConnection?
    private(set) var isExpired = false
    private var isFinished = false

    func attach(_ connection: PostgresConnection) -> Bool {
        guard !self.isExpired else { return false }
        self.connection = connection
        return true
    }

    func expire() -> PostgresConnection? {
        guard !self.isFinished else { return nil }
        self.isExpired = true
        return self.connection
    }

    /// The operation ended (its connection went back to the pool): nothing is left to expire.
    func finish() {
        self.isFinished = true
        self.connection = nil
    }
}
