"""Slow and stalled clients: the gateway's header, body and idle timeouts, and the short-body crash.

The module's System runs with short timeouts (CLIENT_HEADER_TIMEOUT=1, CLIENT_BODY_TIMEOUT=1,
CLIENT_IDLE_TIMEOUT=3 seconds) and UPSTREAM_TIMEOUT=3, so that the body timeout must fire before the
upstream deadline, and so that a gateway without a body timeout shows its failure within seconds rather
than 15. One test checks that a System started without these settings keeps quiet connections open
for at least 2 s (the documented defaults are 10, 10 and 60 s).
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from support.accounts import create_account, unique_name
from support.checks import check_response
from support.rawhttp import Outcome, RawConnection, request_bytes
from support.system import System
from support.tally import TALLY

from .common import expect_answer, expect_closed, expect_open

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
IDLE_TIMEOUT = 3.0
#: Slack on every timeout: a debug build on a busy 2-core machine.
MARGIN = 2.5
SYSTEM_ENV = {
    "CLIENT_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    "CLIENT_BODY_TIMEOUT": str(BODY_TIMEOUT),
    "CLIENT_IDLE_TIMEOUT": str(IDLE_TIMEOUT),
    "UPSTREAM_TIMEOUT": "3",
}
JSON = [("Content-Type", "application/json")]
SHORT_BODY = b'{"refreshToken":'  # 16 bytes


def test_short_body_held_open_on_refreshtoken_gets_408_and_the_gateway_lives(hostile_system: System) -> None:
    """The issue's crash: POST /api/auth/refreshtoken with Content-Length 100 and 16 bytes of body, held
    open. The body timeout answers 408 JSON, and every process is still live a second later (today: 503
    at the upstream deadline, then the gateway traps in NIOThrowingAsyncSequenceProducer)."""
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("POST", "/api/auth/refreshtoken", JSON + [("Content-Length", "100")], SHORT_BODY))
        outcome = conn.read_response(BODY_TIMEOUT + MARGIN)
        time.sleep(1.0)
        hostile_system.assert_all_live()
    expect_answer(outcome, {408}, "POST", "/api/auth/refreshtoken", "short body held open")


def _until_closed(conn: RawConnection, deadline: float) -> list[Outcome]:
    """Every answer on CONN until the server closes it or DEADLINE seconds pass (last item: closed/open)."""
    until = time.monotonic() + deadline
    outcomes = []
    while True:
        outcome = conn.wait_closed(max(0.0, until - time.monotonic()))
        outcomes.append(outcome)
        if outcome.kind != "answered":
            return outcomes


def test_short_body_held_open_is_cut_at_the_body_timeout_on_every_path(hostile_system: System) -> None:
    """Every path that forwards or drops a request body, given 16 of 100 announced bytes and then nothing:
    POST routes answer 408 JSON; GET routes (which ignore a body), 404s and 405s may answer first but
    the connection is closed by the body timeout; no answer is a 5xx and every process stays live."""
    user = create_account(hostile_system.http)
    token = [("x-access-token", user.access_token)]
    cases: list[tuple[str, str, list[tuple[str, str]], set[int]]] = [
        ("POST", "/api/auth/signup", [], {408}),
        ("POST", "/api/auth/signin", [], {408}),
        ("POST", "/api/auth/refreshtoken", [], {408}),
        ("POST", "/api/auth/signout", token, {408}),
        ("GET", "/api/test/all", [], {200, 400, 408}),
        ("GET", "/api/test/user", token, {200, 400, 408}),
        ("PUT", "/api/test/all", [], {405, 408}),
        ("POST", "/api/no-such-route", [], {404, 408}),
        ("GET", "/", [], {200, 400, 408}),
    ]

    def run(case: tuple[str, str, list[tuple[str, str]], set[int]]) -> tuple[tuple, list[Outcome]]:
        method, path, headers, _ = case
        with RawConnection(hostile_system.gateway_port) as conn:
            conn.send(request_bytes(method, path, JSON + headers + [("Content-Length", "100")], SHORT_BODY))
            return case, _until_closed(conn, BODY_TIMEOUT + MARGIN)

    with ThreadPoolExecutor(len(cases)) as pool:
        results = list(pool.map(run, cases))
    time.sleep(0.5)
    hostile_system.assert_all_live()
    failures = []
    for (method, path, _, allowed), outcomes in results:
        TALLY.add("cases")
        answers = [outcome for outcome in outcomes if outcome.kind == "answered"]
        summary = f"{method} {path}: " + ", then ".join(outcome.describe() for outcome in outcomes)
        try:
            for answer in answers:
                check_response(method, path, answer.status or 0, answer.body, count=False)
        except AssertionError as error:
            failures.append(f"{summary} ({error})")
            continue
        if outcomes[-1].kind != "closed":
            failures.append(f"{summary} (still open after the body timeout)")
        elif not answers and allowed == {408}:
            failures.append(f"{summary} (closed without the 408)")
        elif answers and answers[0].status not in allowed:
            failures.append(f"{summary} (expected {sorted(allowed)})")
    assert not failures, "\n".join(failures)


def test_a_body_sent_after_its_head_is_answered_on_every_path_and_the_gateway_lives(hostile_system: System) -> None:
    """Every path that forwards or drops a body, with the head flushed first and the whole body 0.3 s later
    (well within the body timeout), answers as it would at once: signup 200, signin 401, refresh 403,
    signout 200, GETs 200 (or 400), PUT 405, unknown path 404; and every process is live afterwards
    (today an answer given before the body arrived kills the gateway when it does arrive)."""
    user = create_account(hostile_system.http)
    token = [("x-access-token", user.access_token)]
    name = unique_name("late")
    cases: list[tuple[str, str, list[tuple[str, str]], bytes, set[int]]] = [
        ("POST", "/api/auth/signup", [], json.dumps(
            {"username": name, "email": f"{name}@example.com", "password": "secret-pw"}).encode(), {200}),
        ("POST", "/api/auth/signin", [], json.dumps(
            {"username": unique_name("nobody"), "password": "wrong-pw"}).encode(), {401}),
        ("POST", "/api/auth/refreshtoken", [], b'{"refreshToken":"not-a-token"}', {403}),
        ("POST", "/api/auth/signout", token, b"{}", {200}),
        ("GET", "/api/test/all", [], b"{}", {200, 400}),
        ("GET", "/api/test/user", token, b"{}", {200, 400}),
        ("PUT", "/api/test/all", [], b"{}", {405}),
        ("POST", "/api/no-such-route", [], b"{}", {404}),
    ]

    def run(case: tuple[str, str, list[tuple[str, str]], bytes, set[int]]) -> Outcome:
        method, path, headers, body, _ = case
        with RawConnection(hostile_system.gateway_port) as conn:
            conn.send(request_bytes(method, path, JSON + headers + [("Content-Length", str(len(body)))]))
            time.sleep(0.3)
            conn.try_send(body)
            return conn.read_response(BODY_TIMEOUT + MARGIN)

    with ThreadPoolExecutor(len(cases)) as pool:
        outcomes = list(pool.map(run, cases))
    time.sleep(0.5)
    hostile_system.assert_all_live()
    failures = []
    for (method, path, _, _, allowed), outcome in zip(cases, outcomes):
        try:
            expect_answer(outcome, allowed, method, path, f"{method} {path} with its body 0.3 s after the head")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)


def test_a_connection_that_sends_nothing_is_closed_silently_at_the_header_timeout(hostile_system: System) -> None:
    """Connect and send nothing: closed without a byte of answer once the header timeout passed."""
    with RawConnection(hostile_system.gateway_port) as conn:
        expect_closed(conn.wait_closed(HEADER_TIMEOUT + MARGIN), "idle connection that never sent a byte")


def test_200_silent_connections_neither_block_service_nor_outlive_the_header_timeout(hostile_system: System) -> None:
    """200 connections that send nothing do not stop a new client from being served at once, and all of
    them are closed silently once the header timeout passed."""
    connections = [RawConnection(hostile_system.gateway_port) for _ in range(200)]
    try:
        served = hostile_system.http.get("/api/test/all", timeout=(2, 2))
        assert served.status == 200, served
        time.sleep(HEADER_TIMEOUT + MARGIN)
        still_open = [index for index, conn in enumerate(connections) if conn.wait_closed(0.01).kind != "closed"]
        TALLY.add("cases", len(connections))
        assert not still_open, f"{len(still_open)} of 200 silent connections still open after the header timeout"
    finally:
        for conn in connections:
            conn.close()


def test_half_a_header_block_gets_408_json_at_the_header_timeout(hostile_system: System) -> None:
    """A request head that stops half-way gets 408 JSON once the header timeout passed, then a close."""
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(b"GET /api/test/all HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: app")
        outcome = conn.read_response(HEADER_TIMEOUT + MARGIN)
        expect_answer(outcome, {408}, "GET", "/api/test/all", "half a header block")
        expect_closed(conn.wait_closed(MARGIN), "connection after the 408")


def _while_trickling(conn: RawConnection, parts: list[bytes], pause: float, read: Callable[[], Outcome]) -> Outcome:
    """Runs READ while a thread sends PARTS with PAUSE seconds between them (stopping when READ returns)."""
    stop = threading.Event()

    def send() -> None:
        for part in parts:
            if stop.is_set() or not conn.try_send(part):
                return
            time.sleep(pause)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        return read()
    finally:
        stop.set()
        sender.join(timeout=5)


def test_a_header_trickle_does_not_reset_the_header_timeout(hostile_system: System) -> None:
    """A head sent one byte every 0.2 s (about 10 s in all) is cut with 408 JSON when the header timeout
    passed since its first byte: progress does not extend the deadline (slowloris)."""
    head = request_bytes("GET", "/api/test/all", [("Accept", "text/plain"), ("X-Slow", "s" * 20)])
    with RawConnection(hostile_system.gateway_port) as conn:
        parts = [head[index:index + 1] for index in range(len(head))]
        outcome = _while_trickling(conn, parts, 0.2, lambda: conn.read_response(HEADER_TIMEOUT + MARGIN))
    expect_answer(outcome, {408}, "GET", "/api/test/all", "header trickle")


def test_a_body_trickle_is_cut_with_408_at_the_body_timeout(hostile_system: System) -> None:
    """A 200-byte body sent 10 bytes every 0.3 s (6 s in all) gets 408 JSON when the body timeout passed
    since the head: the whole body must arrive within it."""
    body = (b'{"username":"' + b"t" * 170 + b'","password":"x"}')[:200].ljust(200, b" ")
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("POST", "/api/auth/signin", JSON + [("Content-Length", "200")]))
        parts = [body[index:index + 10] for index in range(0, len(body), 10)]
        outcome = _while_trickling(conn, parts, 0.3, lambda: conn.read_response(BODY_TIMEOUT + MARGIN))
    expect_answer(outcome, {408}, "POST", "/api/auth/signin", "body trickle")


def test_an_idle_keep_alive_connection_is_closed_silently_at_the_idle_timeout(hostile_system: System) -> None:
    """After an answer, a keep-alive connection with no request in progress is governed by the idle
    timeout (3 s here), not the header timeout (1 s): still open at 1.8 s, closed silently by 3 s + margin."""
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/all"))
        expect_answer(conn.read_response(MARGIN), {200}, "GET", "/api/test/all", "keep-alive request")
        answered = time.monotonic()
        expect_open(conn.wait_closed(1.8), "keep-alive connection 1.8 s after its answer")
        outcome = conn.wait_closed(IDLE_TIMEOUT + MARGIN - (time.monotonic() - answered))
        expect_closed(outcome, "keep-alive connection after the idle timeout")


def test_the_default_timeouts_keep_a_quiet_connection_open_for_2_seconds(make_system: Callable[..., System]) -> None:
    """Without CLIENT_* settings the documented defaults (10 s head and body, 60 s idle) are in force, not
    something shorter: a connection that sent nothing, one that sent half a head, one with a body pending
    and an idle keep-alive one are all still open, unanswered, after 2 s."""
    system = make_system(name="default-timeouts")
    with RawConnection(system.gateway_port) as silent, RawConnection(system.gateway_port) as half, \
            RawConnection(system.gateway_port) as body, RawConnection(system.gateway_port) as idle:
        half.send(b"GET /api/test/all HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        body.send(request_bytes("POST", "/api/auth/signin", JSON + [("Content-Length", "100")], b"{"))
        idle.send(request_bytes("GET", "/api/test/all"))
        answer = idle.read_response(MARGIN)
        expect_answer(answer, {200}, "GET", "/api/test/all", "keep-alive request")
        time.sleep(2.0)
        for name, conn in (("silent", silent), ("half a head", half), ("body pending", body), ("idle", idle)):
            expect_open(conn.wait_closed(0.05), f"{name} connection after 2 s with default timeouts")
    system.assert_all_live()
