import Foundation
import NIOHTTP1
import Testing

extension RunningSystem.Reply {
    /// The body as a JSON array of objects; fails the test when it is not one.
    func list() throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(self.body.utf8))
        return try #require(object as? [[String: Any]], "not a JSON array of objects: \(self.body)")
    }
}

extension RunningSystem {
    /// A request as `account`, with `x-access-token`.
    func call(_ method: HTTPMethod, _ path: String, as account: Account, json: String? = nil, headers: [(String, String)] = []) async throws -> Reply {
        try await self.call(method, path, headers: [("x-access-token", account.accessToken)] + headers, json: json)
    }

    func refresh(_ token: String) async throws -> Reply {
        try await self.call(.POST, "/api/auth/refreshtoken", json: Self.json(["refreshToken": token]))
    }

    /// The status of `/api/test/user` with this access token.
    func userBoard(_ accessToken: String) async throws -> Int {
        try await self.call(.GET, "/api/test/user", headers: [("x-access-token", accessToken)]).status
    }

    /// The user's audit events, newest first, once at least `count` are there (they are written
    /// within about 250 ms); fails the test after 10 s.
    func auditEvents(of userID: Int, atLeast count: Int, as admin: Account) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let reply = try await self.call(.GET, "/api/admin/audit?userId=\(userID)&limit=100", as: admin)
            try #require(reply.status == 200, "audit: \(reply.status) \(reply.body)")
            let events = try #require(try reply.json()["events"] as? [[String: Any]])
            if events.count >= count { return events }
            try #require(ContinuousClock.now < deadline, "only \(events.count) of \(count) audit events after 10 s: \(reply.body)")
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

extension TestEnvironment {
    /// The output of one query (`psql -At`), for checks of what is stored.
    static func psqlValue(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "psql failed on: \(sql)")
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
