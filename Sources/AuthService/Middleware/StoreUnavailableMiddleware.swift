import Common
import Hummingbird
import Metrics
import Redis

/// A store that did not answer in time (PostgreSQL past its deadline, Redis past its command
/// timeout) is the documented fail-closed 503, never a 500; the cause is logged with the request id.
struct StoreUnavailableMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as DatabaseUnavailable {
            context.logger.error("PostgreSQL unavailable", metadata: ["error": "\(error)"])
            Counter(label: "auth_database_unavailable_total", dimensions: [("reason", error.code.description)]).increment()
            throw APIError.serviceUnavailable
        } catch let error as RedisError {
            context.logger.error("Redis unavailable", metadata: ["error": "\(error)"])
            throw APIError.serviceUnavailable
        }
    }
}
