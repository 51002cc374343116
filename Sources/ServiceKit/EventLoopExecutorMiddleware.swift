import Common
import Hummingbird
import NIOCore
import NIOPosix

/// A request context that knows the event loop of its connection.
package protocol EventLoopRequestContext: RequestContext {
    var eventLoop: any EventLoop { get }
}

/// Runs a Swift concurrency job on a SwiftNIO event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// Keeps each request's work on the event loop its connection lives on (task executor preference):
/// the handler, its awaits on NIO-based clients and the request's log line then run without waking
/// other threads.
package struct EventLoopExecutorMiddleware<Context: EventLoopRequestContext>: RouterMiddleware {
    private let executors: [ObjectIdentifier: EventLoopTaskExecutor]

    package init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
        for loop in group.makeIterator() {
            executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(eventLoop: loop)
        }
        self.executors = executors
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let executor = self.executors[ObjectIdentifier(context.eventLoop)] else {
            return try await next(request, context)
        }
        return try await withTaskExecutorPreference(executor) {
            try await next(request, context)
        }
    }
}
