/// The operation did not finish in time.
package struct TimeoutError: Error, CustomStringConvertible {
    package let what: String
    package var description: String { "\(self.what) did not finish in time" }
}

/// Runs `operation`, giving up after `limit`: start-up steps must fail clearly, not hang.
package func withTimeout<T: Sendable>(
    _ limit: Duration,
    _ what: String,
    operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutError(what: what)
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw TimeoutError(what: what) }
        return result
    }
}
