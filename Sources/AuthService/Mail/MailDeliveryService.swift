import Common
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SMTP

/// Delivers the outbox: claims due mails (a lease, so replicas never share one), sends each batch in
/// one SMTP session, marks what the server took as sent, reschedules the rest with a doubling delay,
/// and gives a mail up after `maximumAttempts` or at once when the server refuses it for good (5yz),
/// recording `mail_failed` in the audit trail. A graceful shutdown lets the batch in flight finish.
///
/// Delivery is at least once: the deliveries of a session are recorded when it ends, so a replica that
/// dies after the server's 250 and before that leaves those mails (at most a batch) claimed; another
/// sends them again when the lease ends, with the same `Message-ID`, which lets the receiving side
/// recognise the copy.
struct MailDeliveryService: Service {
    let outbox: any MailOutbox
    let sender: SMTPClient
    let composer: MailComposer
    let policy: MailDeliveryPolicy
    let signal: MailOutboxSignal
    let audit: any AuditRecorder
    let logger: Logger
    var purgeInterval: Duration = .seconds(3600)
    var retentionDays = 30

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var nextPurge = ContinuousClock.now + .seconds(60)
            while !Task.isCancelled {
                let claimed = await self.deliverDue()
                if ContinuousClock.now >= nextPurge {
                    await self.purge()
                    nextPurge = ContinuousClock.now + self.purgeInterval
                }
                // A full batch suggests more is due: go on at once.
                if claimed < self.policy.batchSize {
                    await self.signal.wait(upTo: .milliseconds(Int64(self.policy.pollInterval * 1000)))
                }
            }
        }
    }

    /// One claim and its SMTP session; how many mails were claimed.
    @discardableResult
    func deliverDue() async -> Int {
        let mails: [OutboxMail]
        do {
            mails = try await self.outbox.claimDue(limit: self.policy.batchSize, lease: self.policy.lease)
        } catch {
            self.logger.warning("Mail outbox not readable; tried again", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
        guard !mails.isEmpty else { return 0 }
        var envelopes: [SMTPEnvelope] = []
        var sendable: [OutboxMail] = []
        for mail in mails {
            if let envelope = self.composer.envelope(for: mail) {
                envelopes.append(envelope)
                sendable.append(mail)
            } else {
                await self.record(mail, .rejected(SMTPError(.configuration, "the mail cannot be composed (unknown kind or missing parameters)")))
            }
        }
        // Cut off well before the lease ends, so that no other replica takes a mail this one still sends.
        let limit = Duration.milliseconds(Int64(self.policy.lease * 500))
        let results = await self.sender.send(envelopes, sessionLimit: limit)
        let delivered = zip(sendable, results).filter { $0.1 == .delivered }.map(\.0)
        do {
            // One statement for the whole session's deliveries.
            try await self.outbox.markSent(delivered.map(\.id))
            for mail in delivered {
                Counter(label: "auth_mails_total", dimensions: [("outcome", "sent"), ("kind", mail.kind)]).increment()
                self.logger.info("Mail sent", metadata: ["mail_id": "\(mail.id)", "kind": "\(mail.kind)", "attempt": "\(mail.attempts)"])
            }
        } catch {
            // The lease brings them back: they are sent again (see the type's comment).
            self.logger.error("Mail deliveries not recorded", metadata: ["count": "\(delivered.count)", "error": "\(String(reflecting: error))"])
        }
        for (mail, result) in zip(sendable, results) where result != .delivered {
            await self.record(mail, result)
        }
        return mails.count
    }

    /// Reschedules or gives up a mail that was not delivered.
    private func record(_ mail: OutboxMail, _ result: SMTPDeliveryResult) async {
        do {
            switch result {
            case .delivered:
                return
            case .deferred(let error) where mail.attempts < self.policy.maximumAttempts:
                let delay = self.policy.delay(afterAttempts: mail.attempts)
                _ = try await self.outbox.markUndelivered(mail, error: error.description, retryAfter: delay)
                Counter(label: "auth_mails_total", dimensions: [("outcome", "deferred"), ("kind", mail.kind)]).increment()
                self.logger.warning(
                    "Mail not delivered; tried again later",
                    metadata: ["mail_id": "\(mail.id)", "attempt": "\(mail.attempts)", "retry_in": "\(Int(delay))", "error": "\(error)"]
                )
            case .deferred(let error), .rejected(let error):
                guard try await self.outbox.markUndelivered(mail, error: error.description, retryAfter: nil) else { return }
                Counter(label: "auth_mails_total", dimensions: [("outcome", "failed"), ("kind", mail.kind)]).increment()
                self.logger.error("Mail given up", metadata: ["mail_id": "\(mail.id)", "attempts": "\(mail.attempts)", "error": "\(error)"])
                await self.audit.record(AuditEvent(
                    .mailFailed, occurredAt: Date(), userID: mail.userID,
                    details: ["mailId": .number(Double(mail.id)), "kind": .string(mail.kind), "attempts": .number(Double(mail.attempts)),
                              "error": .string(String(error.description.prefix(300)))]
                ))
            }
        } catch {
            // The lease brings it back: at worst it is sent again (see the type's comment).
            self.logger.error("Mail outcome not recorded", metadata: ["mail_id": "\(mail.id)", "error": "\(String(reflecting: error))"])
        }
    }

    private func purge() async {
        do {
            let count = try await self.outbox.purge(olderThanDays: self.retentionDays)
            if count > 0 { self.logger.info("Purged old mails and tokens", metadata: ["count": "\(count)"]) }
        } catch {
            self.logger.warning("Mail purge failed; tried again later", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
