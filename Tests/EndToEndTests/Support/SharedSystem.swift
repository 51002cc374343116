import Testing

/// One running system for a whole suite: started before its first test, stopped after its last.
struct SharedSystemTrait: SuiteTrait, TestScoping {
    /// Settings of this system beyond the test defaults, as `RunningSystem.with` takes them.
    var environment: @Sendable () throws -> [String: String] = { [:] }

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        try await RunningSystem.with(environment: try self.environment()) { system in
            try await SharedSystem.$current.withValue(system) {
                try await function()
            }
        }
    }
}

extension Trait where Self == SharedSystemTrait {
    /// Runs the suite, nested suites included, against one started system.
    static var sharedSystem: Self { SharedSystemTrait() }

    /// The same, for a suite that needs settings of its own.
    static func sharedSystem(environment: @escaping @Sendable () throws -> [String: String]) -> Self {
        SharedSystemTrait(environment: environment)
    }
}

enum SharedSystem {
    @TaskLocal static var current: RunningSystem?

    static func get() throws -> RunningSystem {
        try #require(self.current, "the suite must carry the .sharedSystem trait")
    }
}
