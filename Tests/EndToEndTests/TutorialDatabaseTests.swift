import Foundation
import HummingbirdBcrypt
import Testing

@Suite("A database created by the tutorial")
struct TutorialDatabaseTests {
    /// The schema as the tutorial's Sequelize models create it, with its rows and a bcrypt hash.
    static func tutorialDatabase(username: String, password: String) throws -> String {
        let url = try TestEnvironment.createDatabase()
        let hash = "$2a$" + Bcrypt.hash(password, cost: 8).dropFirst(4)
        try TestEnvironment.psql(url, """
            CREATE TABLE users (id SERIAL PRIMARY KEY, username VARCHAR(255), email VARCHAR(255), password VARCHAR(255),
                "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL);
            CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(255),
                "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL);
            CREATE TABLE user_roles ("createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL,
                "roleId" INTEGER REFERENCES roles (id) ON DELETE CASCADE ON UPDATE CASCADE,
                "userId" INTEGER REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY ("roleId", "userId"));
            INSERT INTO roles VALUES (1, 'user', now(), now()), (2, 'moderator', now(), now()), (3, 'admin', now(), now());
            INSERT INTO users (username, email, password, "createdAt", "updatedAt")
                VALUES ('\(username)', '\(username)@example.com', '\(hash)', now(), now());
            INSERT INTO user_roles SELECT now(), now(), 2, id FROM users WHERE username = '\(username)';
            """)
        return url
    }

    @Test("its users sign in with their bcrypt passwords, keep their roles, and are upgraded to argon2id")
    func tutorialUsersSignIn() async throws {
        let name = RunningSystem.uniqueName("tut")
        let url = try Self.tutorialDatabase(username: name, password: "old-password")
        try await RunningSystem.with(databaseURL: url) { system in
            let signin = try await system.signin(name, password: "old-password")
            #expect(signin.status == 200, "\(signin.body)")
            #expect(try signin.json()["roles"] as? [String] == ["ROLE_MODERATOR"])
            let mod = try await system.call(.GET, "/api/test/mod", headers: [("x-access-token", try signin.string("accessToken"))])
            #expect(mod.status == 200)
            let wrong = try await system.signin(name, password: "wrong-password")
            #expect(wrong.status == 401)
            // After the upgrade the same password still works (now against argon2id).
            #expect(try await system.signin(name, password: "old-password").status == 200)
            // New signups coexist with the old rows and their SERIAL ids.
            _ = try await system.account()
        }
        let output = try Self.query(url, "SELECT password FROM users WHERE username = '\(name)'")
        #expect(output.hasPrefix("$argon2id$"), "\(output)")
    }

    @Test("rows that are the same after normalisation stop the auth service at start, naming their ids, and change nothing")
    func collidingRowsRefuseToStart() async throws {
        let url = try Self.tutorialDatabase(username: "Straße", password: "old-password")
        try TestEnvironment.psql(url, """
            INSERT INTO users (username, email, password, "createdAt", "updatedAt") VALUES ('STRASSE', 'other@example.com', 'x', now(), now());
            """)
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let auth = try ServiceProcess(
            name: "auth", executable: try TestEnvironment.binary("AuthService"),
            environment: [
                "DATABASE_URL": url, "REDIS_URL": try TestEnvironment.require("TEST_REDIS_URL"),
                "JWT_PRIVATE_KEY_FILE": try TestEnvironment.require("JWT_PRIVATE_KEY_FILE"),
                "AUTH_PORT": String(try await TestEnvironment.freePort()), "AUTH_METRICS_PORT": String(try await TestEnvironment.freePort()),
            ],
            logDirectory: logs
        )
        let deadline = ContinuousClock.now + .seconds(30)
        while auth.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        await auth.stop()
        #expect(auth.exitStatus == 1)
        let log = auth.logTail()
        #expect(log.contains(#"username "strasse": id 1 "Straße", id 2 "STRASSE""#), "\(log)")
        #expect(try Self.query(url, "SELECT string_agg(username, ',' ORDER BY id) FROM users") == "Straße,STRASSE")
        #expect(try Self.query(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'username_key'") == "0")
    }

    static func query(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-At", "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "psql failed: \(sql)")
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
