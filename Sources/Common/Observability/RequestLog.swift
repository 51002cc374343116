import Foundation
import Logging
import NIOCore
import NIOPosix

/// How log lines are written: `LOG_FORMAT=json` for collectors, text otherwise.
package enum LogFormat: Sendable, Equatable {
    case text
    case json

    package init(_ name: String) {
        self = name.lowercased() == "json" ? .json : .text
    }
}

/// What one request's log line says. Headers and bodies never appear in it, so no token, password
/// or hash can leak through it.
package struct RequestLogEntry: Sendable {
    package var method: String
    package var path: Substring
    package var status: Int
    package var durationNanoseconds: UInt64
    package var requestID: String

    package init(method: String, path: Substring, status: Int, durationNanoseconds: UInt64, requestID: String) {
        self.method = method
        self.path = path
        self.status = status
        self.durationNanoseconds = durationNanoseconds
        self.requestID = requestID
    }
}

/// One line per request, cheaply: each event loop formats its lines into its own buffer and writes
/// the buffer with one write(2) per few dozen lines, at most `flushInterval` later. No lock, no
/// syscall per line. Lines logged off an event loop go through the ordinary logger instead.
package struct RequestLog: Sendable {
    private let buffers: [ObjectIdentifier: NIOLoopBoundBox<RequestLogBuffer>]
    private let group: any EventLoopGroup
    private let fallback: Logger

    package init(
        service: String,
        format: LogFormat,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        flushInterval: TimeAmount = .milliseconds(100),
        fallback: Logger
    ) {
        var buffers: [ObjectIdentifier: NIOLoopBoundBox<RequestLogBuffer>] = [:]
        for loop in group.makeIterator() {
            // Made here, used only on `loop`: the box hands the buffer over without sharing it.
            buffers[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(
                RequestLogBuffer(formatter: RequestLogFormatter(service: service, format: format), flushInterval: flushInterval),
                eventLoop: loop
            )
        }
        self.buffers = buffers
        self.group = group
        self.fallback = fallback
    }

    /// Records the line on `loop`'s buffer when called on that loop; anywhere else, logs it directly.
    package func record(_ entry: RequestLogEntry, on loop: (any EventLoop)?) {
        if let loop, loop.inEventLoop, let buffer = self.buffers[ObjectIdentifier(loop)] {
            buffer.value.append(entry, loop: loop)
            return
        }
        var logger = self.fallback
        logger[metadataKey: "request_id"] = .string(entry.requestID)
        logger.info(
            "request",
            metadata: [
                "method": .string(entry.method), "path": .string(String(entry.path)), "status": .stringConvertible(entry.status),
                "duration_ms": .string(RequestLogFormatter.milliseconds(entry.durationNanoseconds)),
            ]
        )
    }

    /// Writes whatever is buffered on every loop: at shutdown, so no line is lost.
    package func flush() async {
        for loop in self.group.makeIterator() {
            guard let buffer = self.buffers[ObjectIdentifier(loop)] else { continue }
            try? await loop.submit { buffer.value.flush() }.get()
        }
    }
}

/// One event loop's pending lines.
final class RequestLogBuffer {
    private let formatter: RequestLogFormatter
    private let flushInterval: TimeAmount
    private var pending: [UInt8] = []
    private var flushScheduled = false
    /// Lines are written in pieces of at most this many bytes, cut at line ends, so that a piece is
    /// never interleaved with another writer's line on a pipe (PIPE_BUF).
    private static let pieceLimit = 4096
    private static let eagerFlushBytes = 32 * 1024

    init(formatter: RequestLogFormatter, flushInterval: TimeAmount) {
        self.formatter = formatter
        self.flushInterval = flushInterval
        self.pending.reserveCapacity(Self.eagerFlushBytes + 1024)
    }

    func append(_ entry: RequestLogEntry, loop: any EventLoop) {
        self.formatter.append(entry, to: &self.pending)
        if self.pending.count >= Self.eagerFlushBytes {
            self.flush()
        } else if !self.flushScheduled {
            self.flushScheduled = true
            loop.assumeIsolated().scheduleTask(in: self.flushInterval) { self.flush() }
        }
    }

    func flush() {
        self.flushScheduled = false
        guard !self.pending.isEmpty else { return }
        self.pending.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = min(start + Self.pieceLimit, bytes.count)
                if end < bytes.count, let newline = bytes[start..<end].lastIndex(of: 0x0A) {
                    end = newline + 1
                }
                var offset = start
                while offset < end {
                    let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, end - offset)
                    if written <= 0 {
                        if written < 0, errno == EINTR { continue }
                        return  // stdout is gone; nothing sensible to do with the lines
                    }
                    offset += written
                }
                start = end
            }
        }
        self.pending.removeAll(keepingCapacity: true)
    }
}
