import Testing

/// Every route of the contract, driven through the gateway against the three real processes,
/// PostgreSQL and Redis. The nested suites share one running system.
@Suite("End to end through the gateway", .sharedSystem)
struct EndToEndTests {}
