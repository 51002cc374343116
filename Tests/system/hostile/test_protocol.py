"""HTTP/1.1 framing and header cases on raw sockets, each with the answer RFC 9112 and the contract require.

Every case opens its own connection to the gateway, sends exact bytes, and expects a whole answer
(JSON error body for every 4xx) within a few seconds; the module's System must stay live throughout.
"""

from __future__ import annotations

import json

import pytest

from support.accounts import Account, admin, create_account, unique_name
from support.rawhttp import RawConnection, request_bytes
from support.system import System

from .common import GET_ROUTES, POST_ROUTES, expect_answer, expect_closed

SYSTEM_ENV = {
    "CLIENT_HEADER_TIMEOUT": "1",
    "CLIENT_BODY_TIMEOUT": "1",
    "CLIENT_IDLE_TIMEOUT": "3",
}
#: How long a case waits for its answer: the body timeout plus a generous margin for a busy machine.
ANSWER_DEADLINE = 4.0
SIGNIN_HEAD = [("Content-Type", "application/json")]


def unknown_signin() -> bytes:
    """A well-formed signin of a new name that has no account: read as intended it answers 401, so a 400
    proves the framing was refused rather than the body judged (new each time: no per-name back-off)."""
    return json.dumps({"username": unique_name("nobody"), "password": "wrong-password"}).encode()


def chunked_unknown_signin() -> bytes:
    """unknown_signin() as one chunk and the last chunk."""
    body = unknown_signin()
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


@pytest.fixture
def user(hostile_system: System) -> Account:
    """A signed-in account of the module's System."""
    return create_account(hostile_system.http)


def exchange(system: System, data: bytes, deadline: float = ANSWER_DEADLINE, head: bool = False,
             half_close: bool = False):
    """Sends DATA on a new connection (then FIN when HALF_CLOSE) and reads one answer.

    A server may answer (413, 431) and close before it read everything: a failed send is not an error,
    the answer it sent is what counts.
    """
    with RawConnection(system.gateway_port) as conn:
        sent = conn.try_send(data)
        if half_close and sent:
            conn.half_close()
        return conn.read_response(deadline, head=head)


# ------------------------------------------------------------------ chunked framing


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"zz\r\n{}\r\n0\r\n\r\n", id="chunk-size-zz"),
        pytest.param(b"-1\r\n{}\r\n0\r\n\r\n", id="chunk-size-minus-1"),
        pytest.param(b"2\n{}\n0\n\n", id="LF-only-chunk-lines"),
        pytest.param(b"2\r\n{}XX0\r\n\r\n", id="chunk-data-longer-than-its-size"),
        pytest.param(b"0x2\r\n{}\r\n0\r\n\r\n", id="chunk-size-0x2"),
    ],
)
def test_malformed_chunked_framing_gets_400_json(hostile_system: System, body: bytes) -> None:
    """A chunked body that breaks RFC 9112 §7.1 framing is the client's fault: 400 with a JSON message
    (today: 500 "Unhandled error HTTPParserError" for zz / -1 / LF-only)."""
    data = request_bytes("POST", "/api/auth/signin", SIGNIN_HEAD + [("Transfer-Encoding", "chunked")], body)
    expect_answer(exchange(hostile_system, data), {400}, "POST", "/api/auth/signin", f"chunked body {body!r}")


def test_chunk_size_beyond_any_limit_is_answered_json_within_the_body_timeout(hostile_system: System) -> None:
    """Chunk size ffffffffffffffff (2^64-1), then a few bytes and nothing: never left unanswered. The
    parser takes the size (it fits 64 bits), so the gateway sees only the bytes that came: 413 once they
    pass the body limit, else 408 when the body timeout fires (1 s here), both JSON, and nothing reaches
    the auth service (the request never completed)."""
    data = request_bytes("POST", "/api/auth/signin", SIGNIN_HEAD + [("Transfer-Encoding", "chunked")],
                         b"ffffffffffffffff\r\n{}\r\n")
    expect_answer(exchange(hostile_system, data), {400, 408, 413}, "POST", "/api/auth/signin", "chunk size 2^64-1")


# ------------------------------------------------------------------ transfer codings


@pytest.mark.parametrize(
    "coding",
    ["gzip, chunked", "deflate, chunked", "gzip", "identity", "chunked, chunked", "x-custom", "chunked, identity"],
)
def test_transfer_coding_other_than_exactly_chunked_gets_400_json(hostile_system: System, coding: str) -> None:
    """Only `Transfer-Encoding: chunked` is understood; any other list of codings is refused with 400 JSON
    rather than read as chunked (today `gzip, chunked` is taken as chunked: the signin inside answers 401)."""
    data = request_bytes("POST", "/api/auth/signin", SIGNIN_HEAD + [("Transfer-Encoding", coding)],
                         chunked_unknown_signin())
    expect_answer(exchange(hostile_system, data), {400}, "POST", "/api/auth/signin", f"Transfer-Encoding: {coding}")


def test_transfer_encoding_together_with_content_length_gets_400_json(hostile_system: System) -> None:
    """Transfer-Encoding with Content-Length is a smuggling vector (RFC 9112 §6.1): 400 JSON."""
    data = request_bytes("POST", "/api/auth/signin",
                         SIGNIN_HEAD + [("Transfer-Encoding", "chunked"), ("Content-Length", "60")],
                         chunked_unknown_signin())
    expect_answer(exchange(hostile_system, data), {400}, "POST", "/api/auth/signin", "Transfer-Encoding + Content-Length")


# ------------------------------------------------------------------ Host


@pytest.mark.parametrize(
    "hosts",
    [pytest.param([], id="no-Host"), pytest.param(["a.example", "b.example"], id="two-different-Hosts"),
     pytest.param(["a.example", "a.example"], id="two-equal-Hosts")],
)
def test_http11_request_without_exactly_one_host_gets_400_json(hostile_system: System, hosts: list[str]) -> None:
    """RFC 9112 §3.2: an HTTP/1.1 request without Host, or with more than one, gets 400 (today: served)."""
    data = request_bytes("GET", "/api/test/all", [("Host", host) for host in hosts], host=None)
    expect_answer(exchange(hostile_system, data), {400}, "GET", "/api/test/all", f"Host headers {hosts}")


# ------------------------------------------------------------------ header sizes


def test_a_100_kib_header_gets_431_json(hostile_system: System) -> None:
    """One 100 KiB header field: 431 Request Header Fields Too Large with JSON (today: 400, empty body)."""
    data = request_bytes("GET", "/api/test/all", [("X-Big", "a" * 100 * 1024)])
    expect_answer(exchange(hostile_system, data), {431}, "GET", "/api/test/all", "100 KiB header")


def test_3000_small_headers_totalling_over_100_kib_get_431_json(hostile_system: System) -> None:
    """Many small header fields adding up to over 100 KiB: 431 with JSON."""
    data = request_bytes("GET", "/api/test/all", [(f"X-Many-{index}", "v" * 24) for index in range(3000)])
    expect_answer(exchange(hostile_system, data), {431}, "GET", "/api/test/all", "3000 headers")


def test_a_hundred_ordinary_headers_are_served(hostile_system: System) -> None:
    """A hundred small extra headers are normal traffic: 200."""
    data = request_bytes("GET", "/api/test/all", [(f"X-Extra-{index}", "value") for index in range(100)])
    outcome = exchange(hostile_system, data)
    expect_answer(outcome, {200}, "GET", "/api/test/all", "100 headers")
    assert outcome.body == b"Public Content."


# ------------------------------------------------------------------ duplicated token headers


def test_duplicated_token_headers_are_refused_and_never_read_as_one_of_them(hostile_system: System, user: Account) -> None:
    """Two x-access-token or two Authorization fields are ambiguous: 400 or 401, whichever order the
    valid token comes in, and two valid tokens of different accounts never open the admin route."""
    root = admin(hostile_system.http)
    cases: list[tuple[str, str, list[str]]] = []
    for name, wrap in (("x-access-token", lambda token: token), ("Authorization", lambda token: f"Bearer {token}")):
        cases += [
            (name, "/api/test/user", [wrap(user.access_token), wrap("garbage.token.value")]),
            (name, "/api/test/user", [wrap("garbage.token.value"), wrap(user.access_token)]),
            (name, "/api/test/admin", [wrap(root.access_token), wrap(user.access_token)]),
            (name, "/api/test/admin", [wrap(user.access_token), wrap(root.access_token)]),
        ]
    failures = []
    for name, path, values in cases:
        outcome = exchange(hostile_system, request_bytes("GET", path, [(name, value) for value in values]))
        try:
            expect_answer(outcome, {400, 401}, "GET", path, f"two {name} on {path}")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, f"{len(failures)} of {len(cases)} cases accepted a duplicated token header:\n" + "\n".join(failures)


# ------------------------------------------------------------------ connection handling


def test_http10_request_without_keep_alive_is_closed_after_the_answer(hostile_system: System) -> None:
    """HTTP/1.0 without `Connection: keep-alive` means one request per connection: answer, then close
    (today the connection stays open)."""
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/all", version="HTTP/1.0"))
        expect_answer(conn.read_response(ANSWER_DEADLINE), {200}, "GET", "/api/test/all", "HTTP/1.0 GET")
        expect_closed(conn.wait_closed(1.0), "HTTP/1.0 connection after its answer")


def test_http11_connection_close_is_honoured(hostile_system: System) -> None:
    """`Connection: close` on HTTP/1.1: answer, then close."""
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/all", [("Connection", "close")]))
        expect_answer(conn.read_response(ANSWER_DEADLINE), {200}, "GET", "/api/test/all", "Connection: close")
        expect_closed(conn.wait_closed(1.0), "connection after Connection: close")


def test_pipelined_requests_are_answered_in_order(hostile_system: System) -> None:
    """Five requests in one write, bodies included, get their five answers in the order they were sent."""
    signin_body = unknown_signin()
    requests_ = [
        ("GET", "/api/test/all", [], b"", 200),
        ("GET", "/", [], b"", 200),
        ("POST", "/api/auth/signin", SIGNIN_HEAD + [("Content-Length", str(len(signin_body)))], signin_body, 401),
        ("GET", "/api/test/nothing-here", [], b"", 404),
        ("GET", "/.well-known/jwks.json", [], b"", 200),
    ]
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(b"".join(request_bytes(method, path, headers, body) for method, path, headers, body, _ in requests_))
        outcomes = conn.read_responses(len(requests_), deadline=10.0)
    assert len(outcomes) == len(requests_), [outcome.describe() for outcome in outcomes]
    for (method, path, _, _, status), outcome in zip(requests_, outcomes):
        expect_answer(outcome, {status}, method, path, f"pipelined {method} {path}")
    assert outcomes[0].body == b"Public Content."
    assert "keys" in json.loads(outcomes[4].body)


# ------------------------------------------------------------------ HEAD and 405


def _route_headers(path: str, needs_token: bool, user: Account) -> list[tuple[str, str]]:
    return [("x-access-token", user.access_token)] if needs_token else []


@pytest.mark.parametrize("path,needs_token", GET_ROUTES, ids=[path for path, _ in GET_ROUTES])
def test_head_answers_like_get_without_a_body(hostile_system: System, user: Account, path: str, needs_token: bool) -> None:
    """HEAD on a GET route has the GET's status, Content-Type and Content-Length and no body: a GET
    pipelined after it on the same connection parses as the next answer (today HEAD answers 404)."""
    headers = _route_headers(path, needs_token, user)
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("GET", path, headers))
        get = conn.read_response(ANSWER_DEADLINE)
        expect_answer(get, {get.status or 0}, "GET", path, f"GET {path}")
        conn.send(request_bytes("HEAD", path, headers) + request_bytes("GET", "/api/test/all"))
        head = conn.read_response(ANSWER_DEADLINE, head=True)
        expect_answer(head, {get.status or 0}, "HEAD", path, f"HEAD {path} (GET answered {get.status})")
        after = conn.read_response(ANSWER_DEADLINE)
    assert head.header("Content-Type") == get.header("Content-Type"), (head.headers, get.headers)
    if head.header("Content-Length") is not None:
        assert head.header("Content-Length") == str(len(get.body)), (head.headers, len(get.body))
    assert after.kind == "answered" and after.status == 200 and after.body == b"Public Content.", (
        f"the answer after HEAD {path} did not parse cleanly (HEAD sent a body?): {after.describe()}"
    )


ROUTE_TABLE = [path for path, _ in GET_ROUTES if path.startswith(("/api/", "/.well-known/"))] + POST_ROUTES


@pytest.mark.parametrize("path", ROUTE_TABLE)
def test_405_advertises_head_exactly_where_head_works(hostile_system: System, user: Account, path: str) -> None:
    """DELETE on a contract route is 405 JSON whose Allow lists HEAD if and only if the route answers GET;
    a HEAD it advertises answers like the GET, and HEAD on a POST route is a 405 that does not offer HEAD
    (today Allow says HEAD but HEAD is 404)."""
    outcome = exchange(hostile_system, request_bytes("DELETE", path))
    expect_answer(outcome, {405}, "DELETE", path, f"DELETE {path}")
    allow = {method.strip().upper() for method in (outcome.header("Allow") or "").split(",") if method.strip()}
    is_get_route = path not in POST_ROUTES
    assert ("HEAD" in allow) == is_get_route, f"Allow: {outcome.header('Allow')!r} for {path}"
    if not is_get_route:
        head = exchange(hostile_system, request_bytes("HEAD", path), head=True)
        expect_answer(head, {405}, "HEAD", path, f"HEAD {path} (not a GET route)")
        assert "HEAD" not in (head.header("Allow") or "").upper(), f"HEAD {path} 405 Allow: {head.header('Allow')!r}"
    if is_get_route:
        assert "GET" in allow, f"Allow: {outcome.header('Allow')!r} for {path}"
        needs_token = dict(GET_ROUTES)[path]
        headers = _route_headers(path, needs_token, user)
        get = exchange(hostile_system, request_bytes("GET", path, headers))
        head = exchange(hostile_system, request_bytes("HEAD", path, headers), head=True)
        expect_answer(head, {get.status or 0}, "HEAD", path, f"HEAD {path} advertised by Allow")


# ------------------------------------------------------------------ bodies: length and limits


@pytest.mark.parametrize("path", POST_ROUTES)
def test_body_shorter_than_content_length_then_fin_gets_400_json(hostile_system: System, user: Account, path: str) -> None:
    """Content-Length 100, 16 bytes of body, then FIN: the body can never complete, the client is at fault:
    400 JSON at once (today: 503)."""
    headers = SIGNIN_HEAD + [("Content-Length", "100"), ("x-access-token", user.access_token)]
    outcome = exchange(hostile_system, request_bytes("POST", path, headers, b'{"refreshToken":'), half_close=True)
    expect_answer(outcome, {400}, "POST", path, f"short body then FIN on {path}")


def _signup_body(size: int) -> bytes:
    """A signup JSON body of exactly SIZE bytes whose username is far too long (so a read body is a 400)."""
    template = {"username": "", "email": "big@example.com", "password": "secret-pw"}
    overhead = len(json.dumps(template).encode())
    template["username"] = "u" * (size - overhead)
    body = json.dumps(template).encode()
    assert len(body) == size
    return body


def _chunked(body: bytes, size: int = 4096) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_60_kib_body_is_read_and_a_70_kib_body_gets_413(hostile_system: System, framing: str) -> None:
    """The documented 64 KiB body limit is the limit in force: a 60 KiB signup body is read and refused for
    its field (400, not 413), a 70 KiB one gets 413 JSON, with Content-Length and chunked alike (today the
    limit is 16 KiB)."""
    for size, expected in ((60 * 1024, 400), (70 * 1024, 413)):
        body = _signup_body(size)
        if framing == "chunked":
            data = request_bytes("POST", "/api/auth/signup", SIGNIN_HEAD + [("Transfer-Encoding", "chunked")], _chunked(body))
        else:
            data = request_bytes("POST", "/api/auth/signup", SIGNIN_HEAD + [("Content-Length", str(size))], body)
        expect_answer(exchange(hostile_system, data, deadline=10.0), {expected}, "POST", "/api/auth/signup",
                      f"{size // 1024} KiB signup body ({framing})")
