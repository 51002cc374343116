@testable import AuthService
import Common
import HummingbirdBcrypt
import PostgresNIO
import Testing

@Suite("Migrator creates the tutorial's schema, adds what it lacked and never loses data")
struct MigratorTests {
    private func migrate(_ client: PostgresClient) async throws {
        try await Migrator(client: client, logger: storeLogger).migrate()
    }

    /// Every migration's version, in the order they are applied.
    private static let everyVersion = (1...13).map(String.init)

    private func versions(_ client: PostgresClient) async throws -> [String] {
        try await column(client, "SELECT version::text FROM auth_schema_migrations ORDER BY auth_schema_migrations.version")
    }

    @Test("an empty database gets the tables, the three role rows and the unique indexes")
    func emptyDatabase() async throws {
        try await withTestDatabase { client in
            try await self.migrate(client)

            let tables = try await column(client, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
            #expect(tables == [
                "auth_audit_events", "auth_mail_outbox", "auth_mail_tokens", "auth_recovery_codes", "auth_schema_migrations", "auth_totp_factors", "roles",
                "user_roles", "users",
            ])
            let roles = try await column(client, "SELECT id || ':' || name FROM roles ORDER BY id")
            #expect(roles == ["1:user", "2:moderator", "3:admin"])
            let indexes = try await column(client, "SELECT indexdef FROM pg_indexes WHERE tablename = 'users' AND indexname LIKE 'users_%_lower_key' ORDER BY indexname")
            #expect(indexes.count == 2)
            #expect(indexes.allSatisfy { $0.hasPrefix("CREATE UNIQUE INDEX") })
            #expect(indexes.contains { $0.contains("lower((email)") })
            #expect(indexes.contains { $0.contains("lower((username)") })
            #expect(try await self.versions(client) == Self.everyVersion)
        }
    }

    @Test("running it twice is a no-op")
    func secondRunIsNoOp() async throws {
        try await withTestDatabase { client in
            try await self.migrate(client)
            let id = try await PostgresUserRepository(client: client, logger: storeLogger)
                .create(NewUser(username: "kept", email: "kept@example.com", passwordHash: "h", roles: [.user]))
            try await self.migrate(client)

            #expect(try await self.versions(client) == Self.everyVersion)
            #expect(try await column(client, "SELECT count(*)::text FROM roles") == ["3"])
            #expect(try await PostgresUserRepository(client: client, logger: storeLogger).find(id: id)?.username == "kept")
        }
    }

    @Test("replicas migrating at the same moment take turns under the advisory lock")
    func concurrentMigrators() async throws {
        try await withTestDatabase { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Migrator(client: client, logger: storeLogger).migrate() }
                }
                try await group.waitForAll()
            }
            #expect(try await self.versions(client) == Self.everyVersion)
            #expect(try await column(client, "SELECT count(*)::text FROM roles") == ["3"])
        }
    }

    /// The schema exactly as the tutorial's Sequelize `sync()` creates it, with its rows.
    private func createTutorialDatabase(_ client: PostgresClient, usernames: [String], passwordHash: String) async throws {
        let statements: [PostgresQuery] = [
            #"CREATE TABLE IF NOT EXISTS "users" ("id" SERIAL , "username" VARCHAR(255), "email" VARCHAR(255), "password" VARCHAR(255), "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY ("id"))"#,
            #"CREATE TABLE IF NOT EXISTS "roles" ("id" INTEGER , "name" VARCHAR(255), "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY ("id"))"#,
            #"CREATE TABLE IF NOT EXISTS "user_roles" ("createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL, "roleId" INTEGER  REFERENCES "roles" ("id") ON DELETE CASCADE ON UPDATE CASCADE, "userId" INTEGER  REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY ("roleId","userId"))"#,
            #"INSERT INTO "roles" ("id","name","createdAt","updatedAt") VALUES (1,'user','2021-01-01','2021-01-01'),(2,'moderator','2021-01-01','2021-01-01'),(3,'admin','2021-01-01','2021-01-01')"#,
        ]
        for statement in statements {
            try await client.query(statement, logger: storeLogger)
        }
        for (index, username) in usernames.enumerated() {
            let email = "\(username.lowercased())\(index)@tutorial.example"
            try await client.query(
                #"INSERT INTO "users" ("username","email","password","createdAt","updatedAt") VALUES (\#(username), \#(email), \#(passwordHash), '2021-02-02', '2021-02-02')"#,
                logger: storeLogger
            )
        }
        try await client.query(#"INSERT INTO "user_roles" ("roleId","userId","createdAt","updatedAt") SELECT r.id, u.id, '2021-02-02', '2021-02-02' FROM users u, roles r WHERE r.id IN (1, 2)"#, logger: storeLogger)
    }

    @Test("a database made by the tutorial migrates without losing data; its bcrypt user is found with roles and signs in")
    func tutorialDatabase() async throws {
        let bcrypt = "$2a$" + Bcrypt.hash("tutorial-pw", cost: 8).dropFirst(4)
        try await withTestDatabase { client in
            try await self.createTutorialDatabase(client, usernames: ["legacy"], passwordHash: bcrypt)

            try await self.migrate(client)

            #expect(try await self.versions(client) == Self.everyVersion)
            #expect(try await column(client, #"SELECT name || '@' || to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY') FROM roles ORDER BY id"#) == ["user@2021", "moderator@2021", "admin@2021"])
            let repository = PostgresUserRepository(client: client, logger: storeLogger)
            let user = try #require(try await repository.find(username: "LEGACY"))
            #expect(user.username == "legacy")
            #expect(user.roles == [.user, .moderator])
            #expect(user.passwordHash == bcrypt)
            // An account older than verification counts as verified (EXISTING_EMAILS_VERIFIED defaults to true).
            #expect(user.emailVerified)
            #expect(try await fastPasswordHasher().verify("tutorial-pw", against: user.passwordHash) == .init(matches: true, needsRehash: true))

            let newID = try await repository.create(NewUser(username: "newcomer", email: "new@example.com", passwordHash: "h", roles: [.user]))
            #expect(newID > user.id)
            await #expect(throws: UserConflict(field: .username)) {
                try await repository.create(NewUser(username: "Legacy", email: "other@example.com", passwordHash: "h", roles: [.user]))
            }
        }
    }

    @Test("a tutorial database holding two names differing only in case stops at the unique index, names it, and keeps every row")
    func caseDuplicatesStopMigration() async throws {
        try await withTestDatabase { client in
            try await self.createTutorialDatabase(client, usernames: ["Alice", "alice"], passwordHash: "h")

            let error = await #expect(throws: MigrationError.self) { try await self.migrate(client) }
            #expect(error?.migration.version == 3)
            #expect(error?.description.contains("migration 3") == true)

            #expect(try await column(client, "SELECT username FROM users ORDER BY id") == ["Alice", "alice"])
            #expect(try await self.versions(client) == ["1", "2"])
            #expect(try await column(client, "SELECT count(*)::text FROM pg_indexes WHERE indexname LIKE 'users_%_lower_key'") == ["0"])
        }
    }
    @Test("a tutorial database with names or emails that are the same after normalisation refuses to migrate, lists every id and name, and keeps every row")
    func normalisedCollisionsStopMigration() async throws {
        try await withTestDatabase { client in
            try await self.createTutorialDatabase(client, usernames: ["Straße", "STRASSE", "carol", "strasse\u{200B}x", "ＳＴＲＡＳＳＥ"], passwordHash: "h")
            // Two emails that differ only in their domain's spelling.
            try await client.query("UPDATE users SET email = 'dave@bücher.example' WHERE username = 'carol'", logger: storeLogger)
            try await client.query(
                #"INSERT INTO users (username, email, password, "createdAt", "updatedAt") VALUES ('dave', 'DAVE@xn--bcher-kva.example', 'h', now(), now())"#,
                logger: storeLogger
            )

            let error = await #expect(throws: MigrationError.self) { try await self.migrate(client) }
            let reason = try #require(error?.reason)
            #expect(error?.migration.version == 4)
            #expect(reason.contains(#"username "strasse": id 1 "Straße", id 2 "STRASSE", id 5 "ＳＴＲＡＳＳＥ""#), "\(reason)")
            #expect(reason.contains(#"email "dave@xn--bcher-kva.example": id 3 "dave@bücher.example", id 6 "DAVE@xn--bcher-kva.example""#), "\(reason)")
            #expect(reason.contains("rename all but one"))
            #expect(!reason.contains("id 4"))

            #expect(try await column(client, "SELECT username FROM users ORDER BY id") == ["Straße", "STRASSE", "carol", "strasse\u{200B}x", "ＳＴＲＡＳＳＥ", "dave"])
            #expect(try await self.versions(client) == ["1", "2", "3"])
            #expect(try await column(client, "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'username_key'") == ["0"])

            // Renamed, it migrates.
            try await client.query("UPDATE users SET username = 'strasse2' WHERE id = 2", logger: storeLogger)
            try await client.query("UPDATE users SET username = 'strasse3' WHERE id = 5", logger: storeLogger)
            try await client.query("UPDATE users SET email = 'dave2@example.com' WHERE id = 6", logger: storeLogger)
            try await self.migrate(client)
            #expect(try await self.versions(client) == Self.everyVersion)
        }
    }

    @Test("tutorial names the profile refuses keep signing in under their key; lookalike names are both kept, the first holding the skeleton")
    func nonConformingAndLookalikeNamesMigrate() async throws {
        try await withTestDatabase { client in
            try await self.createTutorialDatabase(client, usernames: ["John Doe", "emoji😀", "user1", "userl"], passwordHash: "h")
            try await self.migrate(client)

            let repository = PostgresUserRepository(client: client, logger: storeLogger)
            #expect(try await repository.find(username: "john doe")?.id == 1)
            #expect(try await repository.find(username: "JOHN DOE")?.id == 1)
            #expect(try await repository.find(username: "EMOJI😀")?.id == 2)
            #expect(try await repository.find(username: "user1")?.id == 3)
            #expect(try await repository.find(username: "userl")?.id == 4)
            let skeletons = try await column(client, "SELECT id || ':' || COALESCE(username_skeleton, '-') FROM users WHERE id IN (3, 4) ORDER BY id")
            #expect(skeletons == ["3:userl", "4:-"])
            let lookalikes = try await column(client, "SELECT id || ':' || username_lookalike FROM users WHERE id IN (3, 4) ORDER BY id")
            #expect(lookalikes == ["3:userl", "4:"])
            // A new account that looks like them is taken (Cyrillic ѕ: another key, the same skeleton).
            await #expect(throws: UserConflict(field: .username)) {
                try await repository.create(NewUser(username: "u\u{0455}er1", email: "i@example.com", passwordHash: "h", roles: [.user]))
            }
        }
    }

    @Test("tutorial names that look alike only as typed (xxxI and xxxl, XXX0 and XXXO, an i with a dot above) are both kept and sign in; the first holds the lookalike skeleton, so no new one can join them")
    func namesThatLookAlikeAsTypedMigrate() async throws {
        let names = ["xxxl", "xxxI", "XXX0", "XXXO", "rootadmin", "rootadmi\u{307}n", "Paypal", "B0B"]
        try await withTestDatabase { client in
            try await self.createTutorialDatabase(client, usernames: names, passwordHash: "h")
            try await self.migrate(client)

            let repository = PostgresUserRepository(client: client, logger: storeLogger)
            for (index, name) in names.enumerated() {
                #expect(try await repository.find(username: name.uppercased())?.id == index + 1, "\(name)")
            }
            // Each pair's second row is kept, and holds no skeleton.
            let expected = try names.enumerated().map { index, name in
                "\(index + 1):" + ([2, 4, 6].contains(index + 1) ? "" : try UsernameProfile.lookalikeSkeleton(of: name))
            }
            #expect(try await column(client, "SELECT id || ':' || username_lookalike FROM users ORDER BY id") == expected)
            // New names that look like a holder only as typed: another key, another skeleton of the key.
            for name in ["PaypaI", "BOB"] {
                await #expect(throws: UserConflict(field: .username), "\(name)") {
                    try await repository.create(NewUser(username: name, email: "\(name)@example.com", passwordHash: "h", roles: [.user]))
                }
            }
        }
    }

    @Test("rows written without keys after the migration (an earlier version during a rolling upgrade) are found at once and keyed at the next start")
    func rowsWithoutKeysAreBackfilled() async throws {
        try await withTestDatabase { client in
            try await self.migrate(client)
            try await client.query(
                #"INSERT INTO users (username, email, password, "createdAt", "updatedAt") VALUES ('Legacy', 'Legacy@Example.com', 'h', now(), now())"#,
                logger: storeLogger
            )
            let repository = PostgresUserRepository(client: client, logger: storeLogger)
            #expect(try await repository.find(username: "legacy")?.username == "Legacy")

            try await self.migrate(client)
            #expect(try await column(client, "SELECT username_key || ' ' || email_key || ' ' || username_lookalike FROM users") == ["legacy legacy@example.com legacy"])
            #expect(try await repository.find(username: "LEGACY")?.username == "Legacy")
        }
    }
}
