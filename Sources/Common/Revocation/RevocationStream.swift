/// The record of revocations the auth service appends to and every gateway tails: a Redis Stream
/// (`revocations`), trimmed to what can still matter (an access token's lifetime plus leeway).
///
/// Each entry says what is revoked and until when it matters (`forget`, Unix milliseconds): after
/// that no valid access token can match it any more, so holders may drop it.
package struct RevocationEntry: Sendable, Equatable {
    package enum Kind: String, Sendable {
        /// One access token, by `jti` (signout).
        case token = "jti"
        /// Every access token of a session, by `sid` (signout, reuse, an ended session).
        case session = "sid"
        /// Every access token of a user issued before `cutoff` or under a credential epoch below `epoch`
        /// (global signout, an account change).
        case user = "uid"
    }

    package var kind: Kind
    package var subject: String
    /// For `.user`: tokens issued before this instant (Unix milliseconds) are refused.
    package var cutoff: Int64
    /// For `.user`: tokens of the user issued under a lower ``CredentialEpoch`` of its lineage are
    /// refused (0: none). Unlike the time cut-off, this also refuses a token that a request which read
    /// the account before the change signs after it, whatever the clocks say.
    package var epoch: Int
    /// When the entry can be forgotten (Unix milliseconds).
    package var forget: Int64

    package init(kind: Kind, subject: String, cutoff: Int64 = 0, epoch: Int = 0, forget: Int64) {
        self.kind = kind
        self.subject = subject
        self.cutoff = cutoff
        self.epoch = epoch
        self.forget = forget
    }

    /// The field/value pairs of an `XADD`. A gateway that predates `e` ignores it and still applies `c`.
    package var fields: [String] {
        ["k", self.kind.rawValue, "s", self.subject, "c", String(self.cutoff), "f", String(self.forget), "e", String(self.epoch)]
    }

    /// Reads the field/value pairs of a stream entry; `nil` for an entry that is not one of ours.
    package init?(fields: [String?]) {
        var values: [String: String] = [:]
        var index = 0
        while index + 1 < fields.count {
            if let name = fields[index], let value = fields[index + 1] { values[name] = value }
            index += 2
        }
        guard let kind = values["k"].flatMap(Kind.init(rawValue:)), let subject = values["s"], !subject.isEmpty,
            let forget = values["f"].flatMap(Int64.init)
        else { return nil }
        self.init(
            kind: kind, subject: subject, cutoff: values["c"].flatMap(Int64.init) ?? 0, epoch: values["e"].flatMap { Int($0) } ?? 0,
            forget: forget
        )
    }
}

/// A Redis Stream entry id (`<milliseconds>-<sequence>`), ordered as Redis orders them.
package struct StreamID: Sendable, Comparable, Hashable, CustomStringConvertible {
    package var milliseconds: UInt64
    package var sequence: UInt64

    package static let zero = StreamID(milliseconds: 0, sequence: 0)

    package init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    package init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1]) else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    package var description: String { "\(self.milliseconds)-\(self.sequence)" }

    package static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

package enum RevocationStream {
    package static let key = "revocations"
    /// The response header in which the auth service tells the gateway the stream position of what
    /// the request revoked, so the gateway that carried it enforces it before answering. Internal:
    /// the gateway removes it.
    package static let positionHeader = "x-revocation-position"
}
