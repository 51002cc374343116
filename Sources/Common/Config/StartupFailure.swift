import Foundation
import Logging

/// Ends the process with a clear one-line reason instead of a backtrace (bad configuration, a
/// database that does not answer at start).
package func exitForStartupFailure(_ error: any Error, logger: Logger) -> Never {
    logger.critical("Cannot start: \(error)")
    exit(1)
}
