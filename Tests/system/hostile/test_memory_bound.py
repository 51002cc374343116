"""The gateway's memory stays bounded with a thousand connections each sending the worst input we know:
a head grown to just under its limit, a body or chunk just under the body limit, an upgraded connection
flooding, a thousand pipelined requests whose answers are never read. Each connection stalls there, so
the gateway holds whatever it holds for the whole of the deadlines."""

from __future__ import annotations

import resource
import socket
import time

from support.system import System
from support.tally import TALLY

SYSTEM_ENV = {"CLIENT_HEADER_TIMEOUT": "20", "CLIENT_BODY_TIMEOUT": "20", "CLIENT_IDLE_TIMEOUT": "30"}
PRIVATE_REDIS = True
CONNECTIONS = 1000
#: What the gateway may add to its idle footprint with every one of those connections at its worst:
#: REQUEST_BUFFER_LIMIT (8 MiB) for requests still arriving, up to the write high-water mark (64 KiB)
#: of answers for each client that does not read them, and 16 KiB for each connection itself. The
#: idle footprint is the benchmark's business (its peak-RSS row), not this test's.
PIPELINED_SHARE = 8


def growth_limit_kib() -> int:
    return 8 * 1024 + (CONNECTIONS // PIPELINED_SHARE) * 64 + CONNECTIONS * 16


def worst_inputs() -> list[bytes]:
    head = b"GET /api/test/all HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (31 * 1024)
    body = b"POST /api/auth/signin HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n" + b"x" * 65000
    chunk = b"POST /api/auth/signin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFF0\r\n" + b"x" * 65000
    upgrade = b"GET /api/test/all HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n" + b"u" * 65536
    pipelined = b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" * 1500
    # The body is the most a connection may hold (MAX_REQUEST_BODY_BYTES): most of them send that.
    inputs = [body, head, body, chunk, body, upgrade, body, pipelined]
    assert len(inputs) == PIPELINED_SHARE and inputs.count(pipelined) == 1
    return inputs


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_thousand_connections_at_their_worst_stay_within_the_memory_bound(hostile_system: System) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < CONNECTIONS + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, CONNECTIONS + 500), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= CONNECTIONS + 200, "this test needs 1,200 file descriptors"
    pid = hostile_system.gateway.pid
    inputs = worst_inputs()
    sockets: list[socket.socket] = []
    baseline = rss_kib(pid)
    peak = 0
    try:
        for index in range(CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", hostile_system.gateway_port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a reader that takes nothing
            sock.setblocking(False)
            try:
                sock.send(inputs[index % len(inputs)])
            except (BlockingIOError, ConnectionError):
                pass  # the gateway stopped reading (or refused and closed): what it holds is what counts
            sockets.append(sock)
            if index % 100 == 99:
                peak = max(peak, rss_kib(pid))
        for _ in range(10):
            time.sleep(0.2)
            peak = max(peak, rss_kib(pid))
        TALLY.add("cases")
        growth, limit = peak - baseline, growth_limit_kib()
        print(f"gateway RSS {baseline} KiB idle, peak {peak} KiB with {CONNECTIONS} connections: +{growth} KiB of {limit} allowed")
        assert growth <= limit, f"the gateway's RSS grew by {growth} KiB (of {limit} allowed) with {CONNECTIONS} connections at their worst"
    finally:
        for sock in sockets:
            sock.close()
    hostile_system.assert_all_live()
