/// What the mail routes need: the tokens and their mails, the per-account quota, the worker's wake-up
/// call, and the settings.
struct MailFeatures: Sendable {
    var repository: any AccountMailRepository
    var quota: any MailQuota
    var signal: MailOutboxSignal
    var settings: MailSettings

    var verification: EmailVerificationMode { self.settings.verification }

    /// Queues a notice after a change that is already committed; a failure is logged, never the
    /// change's: the change stands without its notice.
    func notice(_ kind: MailKind, userID: Int) async -> Bool {
        do {
            try await self.repository.queueNotice(kind, userID: userID)
            await self.signal.notify()
            return true
        } catch {
            return false
        }
    }
}
