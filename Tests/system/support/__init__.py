"""The system-test harness: real Gateway, AuthService and ContentService processes on loopback.

Modules:
- ``config``    what the environment hands the suites (binaries, stores, key, ports, output folder)
- ``ports``     free loopback ports inside ``SYSTEM_TEST_PORTS``
- ``processes`` one service process with its log file, crash detection and stop()
- ``stores``    fresh databases on the shared PostgreSQL; private Redis / PostgreSQL that can be paused
- ``system``    ``System``: the three services (N gateways) wired like production, readiness, liveness
- ``http``      an HTTP client with per-call timeouts that checks every answer (see ``checks``)
- ``checks``    the rules every suite shares: no 5xx but the documented 503, JSON error bodies
- ``tally``     counters of the run (cases, crashes, 5xx, non-JSON errors, lost sessions)
- ``accounts``  signup / signin helpers, the bootstrap admin, session tracking
- ``rawhttp``   a raw-socket client: bytes with pauses, half-close, answers with a deadline
- ``launcher``  stores and processes for a shell script (make run, make test, the benchmarks)
- ``kept``      make run's stores: PostgreSQL and Redis whose data stays in a folder between runs
"""
