import Testing

/// One running system for a whole suite: started before its first test, stopped after its last.
struct SharedSystemTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        try await RunningSystem.with { system in
            try await SharedSystem.$current.withValue(system) {
                try await function()
            }
        }
    }
}

extension Trait where Self == SharedSystemTrait {
    /// Runs the suite, nested suites included, against one started system.
    static var sharedSystem: Self { SharedSystemTrait() }
}

enum SharedSystem {
    @TaskLocal static var current: RunningSystem?

    static func get() throws -> RunningSystem {
        try #require(self.current, "the suite must carry the .sharedSystem trait")
    }
}
