/// A fixture that cannot do its job (no `TEST_REDIS_URL`, a token that is not one): the test that
/// asked for it fails with this error. TestSupport is an ordinary target, so `swift build` compiles
/// it with the products, also with `--static-swift-stdlib`, where swift-testing (and its `#require`)
/// does not exist.
package struct FixtureFailure: Error, CustomStringConvertible {
    package let description: String
}

/// `value`, or a ``FixtureFailure`` saying what was missing.
func required<T>(_ value: T?, _ what: @autoclosure () -> String) throws -> T {
    guard let value else { throw FixtureFailure(description: what()) }
    return value
}
