import Foundation
import Testing

/// The account and admin routes, driven through the gateway against the three real processes, on a
/// system of their own with a Redis database of its own (/8): revocation cut-offs are kept per user
/// id, ids repeat across the systems' databases, and these tests cut off many users, so sharing the
/// other suites' Redis would refuse those suites' tokens.
@Suite(
    "Accounts end to end through the gateway",
    .sharedSystem(environment: { ["REDIS_URL": try TestEnvironment.require("TEST_REDIS_URL") + "/8"] })
)
struct AccountEndToEndTests {}
