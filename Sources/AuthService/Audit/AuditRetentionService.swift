import Foundation
import Logging
import ServiceLifecycle

/// Deletes audit events older than `AUDIT_RETENTION_DAYS`: a minute after start, then every hour.
/// Every replica purges; they only ever delete the same old rows.
struct AuditRetentionService: Service {
    let repository: any AuditRepository
    let retentionDays: Int
    let logger: Logger
    var firstPurgeAfter: Duration = .seconds(60)
    var interval: Duration = .seconds(3600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = self.firstPurgeAfter
            while (try? await Task.sleep(for: delay)) != nil {
                await self.purge(now: Date())
                delay = self.interval
            }
        }
    }

    /// One purge; failures are logged and left for the next round.
    func purge(now: Date) async {
        let cutoff = now.addingTimeInterval(-Double(self.retentionDays) * 86_400)
        do {
            let deleted = try await self.repository.purge(olderThan: cutoff)
            if deleted > 0 {
                self.logger.info("Purged old audit events", metadata: ["count": "\(deleted)", "retention_days": "\(self.retentionDays)"])
            }
        } catch {
            self.logger.warning("Audit purge failed; tried again next round", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
