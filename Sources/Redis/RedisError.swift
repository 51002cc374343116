/// A failure talking to Redis. `.serverError` carries Redis's own error reply; every other code
/// means the store could not be reached in time, which callers treat as "unavailable".
package struct RedisError: Error, Equatable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String { case connectionFailed, connectionClosed, timeout, protocolError, serverError, invalidURL, unexpectedReply, notMaster, notReplicated }
        private let backing: Backing
        package static let connectionFailed = Code(backing: .connectionFailed)
        package static let connectionClosed = Code(backing: .connectionClosed)
        package static let timeout = Code(backing: .timeout)
        package static let protocolError = Code(backing: .protocolError)
        package static let serverError = Code(backing: .serverError)
        package static let invalidURL = Code(backing: .invalidURL)
        package static let unexpectedReply = Code(backing: .unexpectedReply)
        /// The node Sentinel named is not (or no longer) a master.
        package static let notMaster = Code(backing: .notMaster)
        /// A write that must survive a failover reached fewer replicas than required in time.
        package static let notReplicated = Code(backing: .notReplicated)
        package var description: String { self.backing.rawValue }
    }

    package let code: Code
    package let detail: String

    package init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    package var description: String {
        self.detail.isEmpty ? "RedisError(\(self.code))" : "RedisError(\(self.code): \(self.detail))"
    }
}
