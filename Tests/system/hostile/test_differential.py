"""The differential test of the gateway: what a client sends against what a service receives.

A real gateway stands in front of two recording services (``support.recording``) that keep every byte
it sends them and read it as strictly as a careful server. Seeded client byte streams (``streams``) go
through it one connection at a time. For each, every request a service received must be one the
gateway answered the client for, in the same order, framed by the gateway (`Content-Length` only),
carrying exactly the credential it checked (none on public routes; on signup, the client's own), on a
routed path without a fragment; nothing else may arrive, and the gateway's memory stays bounded.
"""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from support import ports
from support.accounts import Account, create_account, create_admin
from support.processes import ManagedProcess, wait_until
from support.rawhttp import RawConnection
from support.recording import Received, RecordingUpstream
from support.system import System
from support.tally import TALLY

from .streams import ROUTES, Stream, Tokens, streams

SYSTEM_ENV = {"CLIENT_HEADER_TIMEOUT": "1", "CLIENT_BODY_TIMEOUT": "1", "CLIENT_IDLE_TIMEOUT": "2"}
SEED = 20261207
STREAMS = 300
PATHS = {path: kind for _, path, kind in ROUTES}
#: What the gateway may write on its own account, beside the client's end-to-end fields.
GATEWAY_FIELDS = {"host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id", "authorization",
                  "content-length"}
NEVER_FORWARDED = {"x-access-token", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "expect",
                   "proxy-connection", "trailer"}


class RecordingGateway:
    """A gateway whose services are two recording stand-ins; its keys come from the System's auth service."""

    def __init__(self, system: System) -> None:
        self.auth = RecordingUpstream()
        self.content = RecordingUpstream()
        self.port = ports.free_port()
        env = dict(system.env)
        env.update({
            "GATEWAY_PORT": str(self.port), "GATEWAY_METRICS_PORT": str(ports.free_port()),
            "AUTH_SERVICE_URL": self.auth.url, "CONTENT_SERVICE_URL": self.content.url,
            "JWKS_URL": f"http://127.0.0.1:{system.auth_port}/.well-known/jwks.json",
        })
        self.process = ManagedProcess("recording-gateway", [system.gateway.argv[0]], env, system.log_dir / "recording-gateway.log")
        ready = wait_until(lambda: self._ready(), timeout=30)
        assert ready, f"the recording gateway did not get ready: {self.process.status_report()}"

    def _ready(self) -> bool:
        try:
            with RawConnection(self.port, connect_timeout=1) as conn:
                conn.send(b"GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
                return conn.read_response(1.0).status == 200
        except OSError:
            return False

    def rss_kib(self) -> int:
        for line in open(f"/proc/{self.process.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        self.process.stop()
        self.auth.stop()
        self.content.stop()


@pytest.fixture(scope="module")
def recording(_module_holder) -> Iterator[tuple[RecordingGateway, Tokens]]:
    system = _module_holder.get()
    user = create_account(system.http)
    admin = create_admin(system.http)
    assert system.http.post("/api/auth/signout", headers=admin.headers()).status == 200
    gateway = RecordingGateway(system)
    yield gateway, Tokens(valid=user.access_token, revoked=admin.access_token)
    gateway.stop()


def send(port: int, stream: Stream) -> list:
    """Sends STREAM on a new connection and reads every answer until the gateway closes (or goes quiet)."""
    with RawConnection(port) as conn:
        if stream.cut is None:
            conn.try_send(stream.data)
        else:
            conn.try_send(stream.data[:stream.cut])
            time.sleep(0.01)
            conn.try_send(stream.data[stream.cut:])
        if stream.fin:
            try:
                conn.half_close()
            except OSError:
                pass
        answers = []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            is_head = len(answers) < len(stream.methods) and stream.methods[len(answers)] == "HEAD"
            outcome = conn.read_response(max(0.1, deadline - time.monotonic()), head=is_head)
            if outcome.kind != "answered":
                break
            answers.append(outcome)
        return answers


def check_received(request: Received, stream: Stream, tokens: Tokens, authority: str) -> list[str]:
    """What is wrong with one request a service received."""
    problems = []
    path = request.target.split("?", 1)[0]
    kind = PATHS.get(path, "templated" if path.startswith("/api/") else None)
    if kind in (None, "local", "unknown") or "#" in request.target:
        problems.append(f"a path the gateway must not forward: {request.target!r}")
    names = [name.lower() for name, _ in request.headers]
    if request.header_values("host") != [authority]:
        problems.append(f"Host {request.header_values('host')}")
    for name in NEVER_FORWARDED & set(names):
        problems.append(f"{name} was forwarded")
    for name in GATEWAY_FIELDS & set(names):
        if names.count(name) > 1:
            problems.append(f"{name} {names.count(name)} times")
    credentials = request.header_values("authorization")
    if kind == "protected":
        if credentials != [f"Bearer {tokens.valid}"]:
            problems.append(f"a protected route with credential {credentials} (only the checked, valid token may arrive)")
    elif kind == "signup":
        if credentials and (len(credentials) > 1 or credentials[0].removeprefix("Bearer ") not in stream.tokens):
            problems.append(f"signup with credential {credentials}")
    elif credentials:
        problems.append(f"a public route with credential {credentials}")
    lengths = request.header_values("content-length")
    if request.body and lengths != [str(len(request.body))]:
        problems.append(f"a body of {len(request.body)} bytes framed by {lengths}")
    if not request.body and lengths not in ([], ["0"]):
        problems.append(f"no body but Content-Length {lengths}")
    if request.header_values("x-forwarded-for") != ["127.0.0.1"]:
        problems.append(f"X-Forwarded-For {request.header_values('x-forwarded-for')}")
    return problems


def test_every_request_a_service_receives_is_one_the_gateway_checked_and_answered(recording) -> None:
    gateway, tokens = recording
    made = streams(SEED, STREAMS, tokens)
    rss_before = gateway.rss_kib()
    failures: list[str] = []
    forwarded = 0
    for index, stream in enumerate(made):
        marks = (gateway.auth.mark(), gateway.content.mark())
        answers = send(gateway.port, stream)
        # A service's answer is relayed before the client sees it; give a late byte a moment to land.
        wait_until(lambda: gateway.auth.unread_bytes() == 0 and gateway.content.unread_bytes() == 0, timeout=1.0)
        by_service = [(request, gateway.auth.port) for request in gateway.auth.since(marks[0])]
        by_service += [(request, gateway.content.port) for request in gateway.content.since(marks[1])]
        by_service.sort(key=lambda pair: pair[0].seq)
        received = [request for request, _ in by_service]
        relayed = [int(answer.header("x-upstream-seq")) for answer in answers if answer.header("x-upstream-seq")]
        problems = []
        if [request.seq for request in received] != relayed:
            problems.append(f"services received {[r.seq for r in received]} but the client was answered for {relayed}: "
                            + "; ".join(repr(r.raw[:160]) for r in received))
        for request, port in by_service:
            problems += check_received(request, stream, tokens, f"127.0.0.1:{port}")
        for unread in (gateway.auth.unread_bytes(), gateway.content.unread_bytes()):
            if unread:
                problems.append(f"{unread} bytes reached a service that are no whole request")
        forwarded += len(received)
        TALLY.add("cases")
        if problems:
            failures.append(f"stream {index} ({' | '.join(stream.description)}; {stream.data[:300]!r}):\n    " + "\n    ".join(problems))
    violations = gateway.auth.violations + gateway.content.violations
    assert not violations, "bytes that were not a well-framed request reached a service:\n" + "\n".join(violations[:10])
    assert not failures, f"{len(failures)} of {len(made)} streams broke the rule:\n" + "\n".join(failures[:8])
    assert forwarded > STREAMS // 4, f"only {forwarded} requests were forwarded: the streams test too little"
    growth = gateway.rss_kib() - rss_before
    assert growth < 16 * 1024, f"the gateway grew by {growth} KiB over {len(made)} streams"
    assert gateway.process.running, gateway.process.status_report()
