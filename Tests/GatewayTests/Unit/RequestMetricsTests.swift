@testable import Gateway
import Foundation
import Metrics
import MetricsTestKit
import NIOHTTP1
import Testing

/// The process's metrics backend for these tests. swift-metrics takes one factory per process, so
/// it is installed once, on first use; no other test target installs one.
enum RecordedMetrics {
    static let shared: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()
}

@Suite("Request metrics keep their label sets few")
struct RequestMetricsTests {
    @Test("the standard methods are labelled by name; any other method a client invents is 'other'")
    func methodLabels() throws {
        let metrics = RecordedMetrics.shared
        let route = "/unit/\(UUID().uuidString)"
        let recorder = RequestMetrics()
        for method in [HTTPMethod.GET, .POST, .RAW(value: "BREW"), .RAW(value: "X-\(UUID().uuidString)"), .PROPFIND] {
            recorder.record(route: route, method: method, status: 405, nanoseconds: 1_000)
        }
        let counters = metrics.counters(label: "hb.requests").filter { $0.dimensions.contains { $0 == ("http.route", route) } }
        let methods = counters.compactMap { $0.dimensions.first { $0.0 == "http.request.method" }?.1 }
        #expect(Set(methods) == ["GET", "POST", "other"])
        let other = try metrics.expectCounter("hb.requests", [("http.route", route), ("http.request.method", "other"), ("http.response.status_code", "405")])
        #expect(other.totalValue == 3)
    }

    @Test("a request that matched no route is counted under NotFound, not under its path")
    func unknownRoute() throws {
        let metrics = RecordedMetrics.shared
        let recorder = RequestMetrics()
        let before = (try? metrics.expectCounter("hb.requests", [("http.route", "NotFound"), ("http.request.method", "GET"), ("http.response.status_code", "404")]))?.totalValue ?? 0
        recorder.record(route: nil, method: .GET, status: 404, nanoseconds: 1_000)
        let after = try metrics.expectCounter("hb.requests", [("http.route", "NotFound"), ("http.request.method", "GET"), ("http.response.status_code", "404")])
        #expect(after.totalValue >= before + 1)
        let timer = try metrics.expectTimer("http.server.request.duration", [("http.route", "NotFound"), ("http.request.method", "GET"), ("http.response.status_code", "404")])
        #expect(timer.values.contains(1_000))
    }
}

@Suite("Request ids: a sane incoming one is kept, else a new one is made")
struct RequestIDTests {
    @Test("printable ASCII without spaces, 1 to 128 bytes, is kept as it is", arguments: ["a", "req-1234", "0123456789abcdef", String(repeating: "x", count: 128), "a:b/c=d~"])
    func accepted(value: String) {
        #expect(RequestID.accept(value) == value)
    }

    @Test("anything else is replaced", arguments: ["", String(repeating: "x", count: 129), "a b", "tab\there", "new\nline", "del\u{7f}", "zoë", "\u{0}"])
    func refused(value: String) {
        #expect(RequestID.accept(value) == nil)
    }

    @Test("no header at all is replaced too")
    func missing() {
        #expect(RequestID.accept(nil) == nil)
    }

    @Test("made ids are 16 lower-case hex digits and do not repeat")
    func made() {
        var generator = SplitMix64()
        let ids = (0..<200).map { _ in generator.nextRequestID() }
        #expect(ids.allSatisfy { $0.utf8.count == 16 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
        #expect(Set(ids).count == ids.count)
    }

    @Test("two loops' generators, seeded apart, do not make the same ids")
    func generatorsDiffer() {
        var first = SplitMix64()
        var second = SplitMix64()
        let ids = (0..<1000).map { _ in first.nextRequestID() } + (0..<1000).map { _ in second.nextRequestID() }
        #expect(Set(ids).count == ids.count)
    }

    @Test("an id spells its 64 bits in hex, most significant first")
    func hexSpelling() {
        // SplitMix64's first output from seed 0 is 0xE220A8397B1DCDAF (the reference sequence).
        var generator = SplitMix64(seed: 0)
        #expect(generator.nextRequestID() == "e220a8397b1dcdaf")
    }
}
