@testable import Gateway
import Common
import Testing

/// Every state of a client connection against every event, as a table: what the state becomes and
/// what the handler is told to do.
@Suite("The connection protocol: every state against every event")
struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    typealias State = ConnectionStateMachine.State
    typealias Action = ConnectionStateMachine.Action

    enum Event: CustomStringConvertible {
        case bytes, head(keepAlive: Bool, hasBody: Bool), bodyEnd, answerStarted, answerEnded, closeAfterAnswer, refused, inputClosed, deadline,
            quiesce, closed

        var description: String {
            switch self {
            case .bytes: "bytes"
            case .head(let keepAlive, let hasBody): "head(keepAlive: \(keepAlive), hasBody: \(hasBody))"
            case .bodyEnd: "bodyEnd"
            case .answerStarted: "answerStarted"
            case .answerEnded: "answerEnded"
            case .closeAfterAnswer: "closeAfterAnswer"
            case .refused: "refused"
            case .inputClosed: "inputClosed"
            case .deadline: "deadline"
            case .quiesce: "quiesce"
            case .closed: "closed"
            }
        }
    }

    static let refusal = APIError(.badRequest, "Malformed HTTP request")

    /// Applies `event`; returns the action (`.none` for events that return none).
    static func apply(_ event: Event, to machine: inout Machine) -> Action {
        switch event {
        case .bytes: machine.receivedBytes(); return .none
        case .head(let keepAlive, let hasBody): machine.receivedHead(keepAlive: keepAlive, hasBody: hasBody); return .none
        case .bodyEnd: return machine.receivedBodyEnd()
        case .answerStarted: machine.answerStarted(); return .none
        case .answerEnded: return machine.answerEnded()
        case .closeAfterAnswer: machine.closeAfterAnswer(); return .none
        case .refused: return machine.requestRefused(Self.refusal)
        case .inputClosed: return machine.inputClosed()
        case .deadline: return machine.deadlinePassed()
        case .quiesce: return machine.quiesce()
        case .closed: machine.closed(); return .none
        }
    }

    static func request(body: Bool, answer: Machine.Answer, keepAlive: Bool = true, next: Bool = false) -> State {
        .request(Machine.Request(bodyPending: body, answer: answer, keepAlive: keepAlive, nextStarted: next))
    }

    static let fresh = State.idle(started: false, first: true)
    static let kept = State.idle(started: false, first: false)
    static let started = State.idle(started: true, first: false)
    static let bodyAwaited = request(body: true, answer: .pending)
    static let answerAwaited = request(body: false, answer: .pending)
    static let answering = request(body: false, answer: .started)
    static let draining = request(body: true, answer: .complete)
    static let answeringEarly = request(body: true, answer: .started)
    static let lastRequest = request(body: false, answer: .pending, keepAlive: false)

    struct Case: CustomTestStringConvertible, Sendable {
        var from: State
        var event: Event
        var to: State
        var action: Action
        var testDescription: String { "\(self.from) + \(self.event) → \(self.to), \(self.action)" }
    }

    static let cases: [Case] = [
        // Between requests: the first bytes start a head; a head starts a request.
        Case(from: fresh, event: .bytes, to: .idle(started: true, first: true), action: .none),
        Case(from: kept, event: .bytes, to: started, action: .none),
        Case(from: started, event: .bytes, to: started, action: .none),
        Case(from: fresh, event: .head(keepAlive: true, hasBody: true), to: bodyAwaited, action: .none),
        Case(from: started, event: .head(keepAlive: false, hasBody: false), to: lastRequest, action: .none),
        Case(from: fresh, event: .bodyEnd, to: fresh, action: .none),
        Case(from: fresh, event: .answerStarted, to: fresh, action: .none),
        Case(from: fresh, event: .answerEnded, to: fresh, action: .none),
        Case(from: fresh, event: .refused, to: .closing, action: .refuse(refusal)),
        Case(from: started, event: .refused, to: .closing, action: .refuse(refusal)),
        Case(from: fresh, event: .inputClosed, to: .closed, action: .close),
        Case(from: kept, event: .inputClosed, to: .closed, action: .close),
        Case(from: started, event: .inputClosed, to: .closing, action: .refuse(Machine.headEndedEarly)),
        Case(from: fresh, event: .deadline, to: .closed, action: .close),
        Case(from: kept, event: .deadline, to: .closed, action: .close),
        Case(from: started, event: .deadline, to: .closing, action: .refuse(Machine.headTimeout)),
        Case(from: fresh, event: .quiesce, to: .closed, action: .close),
        Case(from: started, event: .quiesce, to: .closed, action: .close),
        Case(from: kept, event: .closed, to: .closed, action: .none),

        // A body awaited.
        Case(from: bodyAwaited, event: .bytes, to: bodyAwaited, action: .none),
        Case(from: bodyAwaited, event: .bodyEnd, to: answerAwaited, action: .none),
        Case(from: bodyAwaited, event: .answerStarted, to: answeringEarly, action: .none),
        Case(from: bodyAwaited, event: .answerEnded, to: draining, action: .none),
        Case(from: bodyAwaited, event: .refused, to: .closing, action: .refuse(refusal)),
        Case(from: bodyAwaited, event: .inputClosed, to: .closing, action: .refuse(Machine.bodyEndedEarly)),
        Case(from: bodyAwaited, event: .deadline, to: .closing, action: .refuse(Machine.bodyTimeout)),
        Case(from: bodyAwaited, event: .quiesce, to: request(body: true, answer: .pending, keepAlive: false), action: .none),
        Case(from: bodyAwaited, event: .closed, to: .closed, action: .none),

        // The whole request read, its answer awaited: bytes of the next one wait.
        Case(from: answerAwaited, event: .bytes, to: request(body: false, answer: .pending, next: true), action: .none),
        Case(from: answerAwaited, event: .bodyEnd, to: answerAwaited, action: .none),
        Case(from: answerAwaited, event: .answerStarted, to: answering, action: .none),
        Case(from: answerAwaited, event: .answerEnded, to: kept, action: .startNextRequest),
        Case(from: request(body: false, answer: .pending, next: true), event: .answerEnded, to: started, action: .startNextRequest),
        Case(from: answerAwaited, event: .closeAfterAnswer, to: lastRequest, action: .none),
        Case(from: answerAwaited, event: .refused, to: .closing, action: .refuse(refusal)),
        Case(from: answerAwaited, event: .inputClosed, to: lastRequest, action: .none),
        Case(from: answerAwaited, event: .deadline, to: answerAwaited, action: .none),
        Case(from: answerAwaited, event: .quiesce, to: lastRequest, action: .none),

        // An answer being written: a failure can only cut it short.
        Case(from: answering, event: .answerEnded, to: kept, action: .startNextRequest),
        Case(from: answering, event: .refused, to: .closed, action: .close),
        Case(from: answering, event: .inputClosed, to: request(body: false, answer: .started, keepAlive: false), action: .none),
        Case(from: answering, event: .deadline, to: answering, action: .none),
        Case(from: request(body: false, answer: .started, keepAlive: false), event: .answerEnded, to: .closing, action: .closeAfterAnswer),

        // Answered before the body ended: the body is read and dropped, then the next request.
        Case(from: draining, event: .bytes, to: draining, action: .none),
        Case(from: draining, event: .bodyEnd, to: kept, action: .startNextRequest),
        Case(from: draining, event: .refused, to: .closed, action: .close),
        Case(from: draining, event: .inputClosed, to: .closed, action: .close),
        Case(from: draining, event: .deadline, to: .closed, action: .close),
        Case(from: answeringEarly, event: .answerEnded, to: draining, action: .none),
        Case(from: request(body: true, answer: .started, keepAlive: false), event: .answerEnded, to: .closing, action: .closeAfterAnswer),
        Case(from: answeringEarly, event: .inputClosed, to: .closed, action: .close),

        // The last request of the connection.
        Case(from: lastRequest, event: .answerEnded, to: .closing, action: .closeAfterAnswer),
        Case(from: request(body: true, answer: .complete, keepAlive: false), event: .bodyEnd, to: .closing, action: .closeAfterAnswer),

        // Closing: only the client's FIN or the linger deadline ends it.
        Case(from: .closing, event: .bytes, to: .closing, action: .none),
        Case(from: .closing, event: .bodyEnd, to: .closing, action: .none),
        Case(from: .closing, event: .answerEnded, to: .closing, action: .none),
        Case(from: .closing, event: .refused, to: .closing, action: .none),
        Case(from: .closing, event: .inputClosed, to: .closed, action: .close),
        Case(from: .closing, event: .deadline, to: .closed, action: .close),
        Case(from: .closing, event: .quiesce, to: .closing, action: .none),

        // Closed: nothing happens any more.
        Case(from: .closed, event: .bytes, to: .closed, action: .none),
        Case(from: .closed, event: .bodyEnd, to: .closed, action: .none),
        Case(from: .closed, event: .answerEnded, to: .closed, action: .none),
        Case(from: .closed, event: .refused, to: .closed, action: .none),
        Case(from: .closed, event: .inputClosed, to: .closed, action: .none),
        Case(from: .closed, event: .deadline, to: .closed, action: .none),
        Case(from: .closed, event: .quiesce, to: .closed, action: .none),
    ]

    @Test("each event moves each state as the table says", arguments: Self.cases)
    func transition(_ testCase: Case) {
        var machine = Machine(state: testCase.from)
        let action = Self.apply(testCase.event, to: &machine)
        #expect(machine.state == testCase.to)
        #expect(action == testCase.action)
    }

    static let allStates: [State] = [
        fresh, kept, started, .idle(started: true, first: true), bodyAwaited, answerAwaited, answering, draining, answeringEarly, lastRequest,
        request(body: false, answer: .pending, next: true), .closing, .closed,
    ]
    static let allEvents: [Event] = [.bytes, .bodyEnd, .answerStarted, .answerEnded, .closeAfterAnswer, .refused, .inputClosed, .deadline, .quiesce, .closed]

    @Test("no event in any state leaves the connection reading a head while an answer is owed, or reading after it closed")
    func invariants() {
        for state in Self.allStates {
            for event in Self.allEvents {
                var machine = Machine(state: state)
                let action = Self.apply(event, to: &machine)
                if case .request(let request) = machine.state {
                    #expect(!machine.readsHead, "\(state) + \(event)")
                    #expect(machine.readsBody == request.bodyPending)
                }
                if machine.state == .closed {
                    #expect(!machine.mayRead(buffered: false), "\(state) + \(event)")
                    #expect(machine.waiting == .nothing)
                }
                if case .refuse = action { #expect(machine.state == .closing, "a refusal is written, then the connection lingers: \(state) + \(event)") }
                if action == .startNextRequest { #expect(machine.readsHead) }
            }
        }
    }

    @Test("what the connection waits for says which deadline runs", arguments: [
        (fresh, Machine.Waiting.connectionStart), (kept, .idle), (started, .head), (bodyAwaited, .body), (draining, .body), (answerAwaited, .nothing),
        (answering, .nothing), (.closing, .linger), (.closed, .nothing),
    ])
    func waiting(state: State, waiting: Machine.Waiting) {
        #expect(Machine(state: state).waiting == waiting)
    }

    @Test("the socket is read while a head or body is awaited and when closing; while an answer is made only until the next bytes are here")
    func reading() {
        #expect(Machine(state: Self.fresh).mayRead(buffered: true))
        #expect(Machine(state: Self.bodyAwaited).mayRead(buffered: true))
        #expect(Machine(state: Self.answerAwaited).mayRead(buffered: false))
        #expect(!Machine(state: Self.answerAwaited).mayRead(buffered: true))
        #expect(Machine(state: .closing).mayRead(buffered: true))
        #expect(!Machine(state: .closed).mayRead(buffered: false))
    }

    @Test("after a shutdown began, a request read meanwhile is the connection's last")
    func quiesceMakesTheNextRequestTheLast() {
        var machine = Machine(state: Self.answering)
        _ = machine.quiesce()
        #expect(machine.answerEnded() == .closeAfterAnswer)
        #expect(machine.state == .closing)
    }
}
