import Foundation
import Testing

extension EndToEndTests {
    @Suite("Health, metrics and logs")
    struct ObservabilityTests {
        @Test("every service answers /health/live and /health/ready with its checks")
        func health() async throws {
            let system = try SharedSystem.get()
            for port in [system.ports.gateway, system.ports.auth, system.ports.content] {
                let live = try await system.send(.GET, url: "http://127.0.0.1:\(port)/health/live")
                #expect(live.status == 200)
                let ready = try await system.send(.GET, url: "http://127.0.0.1:\(port)/health/ready")
                #expect(ready.status == 200)
                #expect(try ready.json()["status"] as? String == "ok")
            }
        }

        @Test("Prometheus metrics count requests and auth events on the metrics port, never on the public one")
        func metrics() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            _ = try await system.signin(user.username, password: "wrong-password")
            _ = try await system.call(.GET, "/api/test/user", headers: [("x-access-token", "garbage")])

            let auth = try await system.send(.GET, url: "http://127.0.0.1:\(system.ports.authMetrics)/metrics")
            #expect(auth.status == 200)
            #expect(auth.body.contains(#"auth_signins_total{outcome="ok"}"#))
            #expect(auth.body.contains(#"auth_signins_total{outcome="failed"}"#))
            #expect(auth.body.contains("hb_requests"))
            let gateway = try await system.send(.GET, url: "http://127.0.0.1:\(system.ports.gatewayMetrics)/metrics")
            #expect(gateway.body.contains("auth_access_tokens_refused_total"))
            #expect(gateway.body.contains(#"http_server_request_duration_bucket{http_route="/api/test/user""#))
            let content = try await system.send(.GET, url: "http://127.0.0.1:\(system.ports.contentMetrics)/metrics")
            #expect(content.status == 200)

            let throughGateway = try await system.call(.GET, "/metrics")
            #expect(throughGateway.status == 404)
        }

        @Test("logs are JSON lines with the request id carried from the gateway to the service, and hold no secret")
        func structuredLogs() async throws {
            let system = try SharedSystem.get()
            let password = "log-probe-" + UUID().uuidString
            let user = try await system.account(password: password)
            let requestID = "probe-" + UUID().uuidString
            let reply = try await system.call(.GET, "/api/test/user", headers: [("x-access-token", user.accessToken), ("X-Request-Id", requestID)])
            #expect(reply.status == 200)
            try await Task.sleep(for: .milliseconds(200))

            for service in [system.gateway, system.content] {
                let lines = try String(contentsOf: service.logFile, encoding: .utf8).split(separator: "\n")
                #expect(!lines.isEmpty)
                for line in lines {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    #expect(object?["level"] != nil, "not a JSON log line: \(line)")
                }
                #expect(lines.contains { $0.contains(requestID) && $0.contains("\"status\":\"200\"") }, "\(service.name) has no request line for \(requestID)")
            }
            for service in [system.gateway, system.auth, system.content] {
                let text = try String(contentsOf: service.logFile, encoding: .utf8)
                #expect(!text.contains(password), "\(service.name) logged a password")
                #expect(!text.contains(user.accessToken), "\(service.name) logged an access token")
                #expect(!text.contains(user.refreshToken), "\(service.name) logged a refresh token")
                #expect(!text.contains("$argon2id$"), "\(service.name) logged a hash")
            }
        }
    }
}
