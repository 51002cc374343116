@testable import Gateway
import Common
import Foundation
import Redis
import Testing
import TestSupport

extension TestRedis {
    /// Appends `entry` to the revocation stream, as the auth service does; returns its id.
    @discardableResult
    func append(_ entry: RevocationEntry, id: StreamID? = nil) async throws -> StreamID {
        let reply = try await self.client.send(["XADD", RevocationStream.key, id?.description ?? "*"] + entry.fields)
        return try #require(reply.string.flatMap { StreamID($0) }, "XADD answered \(reply)")
    }
}

extension RevocationEntry {
    /// A revocation that matters for the next hour.
    static func revoking(_ kind: Kind, _ subject: String, cutoff: Int64 = 0) -> RevocationEntry {
        RevocationEntry(kind: kind, subject: subject, cutoff: cutoff, forget: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
    }
}
