import Testing

extension EndToEndTests {
    @Suite("CORS, errors and request ids")
    struct CORSAndErrorTests {
        @Test("an allowed origin is echoed with Vary: Origin; another origin gets no Access-Control-Allow-Origin")
        func corsOrigins() async throws {
            let system = try SharedSystem.get()
            let allowed = try await system.call(.GET, "/api/test/all", headers: [("Origin", "http://localhost:8081")])
            #expect(allowed.headers.first(name: "access-control-allow-origin") == "http://localhost:8081")
            #expect(allowed.headers.first(name: "vary")?.contains("Origin") == true)
            let second = try await system.call(.GET, "/api/test/all", headers: [("Origin", "https://app.example.com")])
            #expect(second.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            let other = try await system.call(.GET, "/api/test/all", headers: [("Origin", "https://evil.example")])
            #expect(other.headers.first(name: "access-control-allow-origin") == nil)
        }

        @Test("a preflight on a protected route is answered 204 before any token check")
        func preflight() async throws {
            let reply = try await SharedSystem.get().call(
                .OPTIONS, "/api/test/admin",
                headers: [("Origin", "http://localhost:8081"), ("Access-Control-Request-Method", "GET"), ("Access-Control-Request-Headers", "x-access-token")]
            )
            #expect(reply.status == 204)
            #expect(reply.headers.first(name: "access-control-allow-origin") == "http://localhost:8081")
            let allowedHeaders = reply.headers.first(name: "access-control-allow-headers")?.lowercased() ?? ""
            for header in ["x-access-token", "authorization", "content-type"] {
                #expect(allowedHeaders.contains(header))
            }
        }

        @Test("unknown route 404, wrong method 405, malformed JSON 400, oversized body 413: all JSON")
        func errorStatuses() async throws {
            let system = try SharedSystem.get()
            let notFound = try await system.call(.GET, "/api/nothing-here")
            #expect(notFound.status == 404)
            #expect(notFound.message == "Not found")
            let wrongMethod = try await system.call(.DELETE, "/api/auth/signin")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.message == "Method not allowed")
            let malformed = try await system.call(.POST, "/api/auth/signin", json: #"{"username": "#)
            #expect(malformed.status == 400)
            #expect(malformed.message == "Malformed JSON body")
            let huge = try await system.call(.POST, "/api/auth/signup", json: #"{"username":""# + String(repeating: "a", count: 200_000) + #""}"#)
            #expect(huge.status == 413)
            #expect(huge.message == "Request body is too large")
        }

        @Test("every response carries a request id; a sane incoming one is kept")
        func requestID() async throws {
            let system = try SharedSystem.get()
            let fresh = try await system.call(.GET, "/api/test/all")
            #expect(fresh.headers.first(name: "x-request-id")?.isEmpty == false)
            let kept = try await system.call(.GET, "/api/test/all", headers: [("X-Request-Id", "trace-abc-123")])
            #expect(kept.headers.first(name: "x-request-id") == "trace-abc-123")
        }

        @Test("no error body leaks internals")
        func noLeaks() async throws {
            let system = try SharedSystem.get()
            let replies = [
                try await system.call(.POST, "/api/auth/signin", json: "[1,2,3]"),
                try await system.call(.POST, "/api/auth/signup", json: #"{"username":{"$gt":""}}"#),
                try await system.call(.POST, "/api/auth/signin", headers: [("Content-Type", "text/xml")], json: "<a/>"),
                try await system.call(.GET, "/api/test/user", headers: [("x-access-token", String(repeating: "x", count: 9000))]),
            ]
            for reply in replies {
                #expect((400..<500).contains(reply.status), "\(reply.status) \(reply.body)")
                let lowered = reply.body.lowercased()
                #expect(!lowered.contains("psql") && !lowered.contains("select") && !lowered.contains("error:") && !lowered.contains(".swift"))
            }
        }
    }
}
