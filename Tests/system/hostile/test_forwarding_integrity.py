"""The gateway forwards exactly what it checked: each way a client's bytes once decided what a service saw.

Every case goes through the real processes and looks at both sides: what the client was told, and what
reached a service, read from the service's own request counters (`hb_requests_total` by route), so a
request smuggled past the gateway shows even when the client never sees its answer.
"""

from __future__ import annotations

import base64
import json
import re
import time

import pytest

from support.accounts import Account, create_account
from support.http import Client
from support.rawhttp import RawConnection, request_bytes
from support.system import System
from support.tally import TALLY

from .common import expect_answer

SYSTEM_ENV = {
    # Long enough that "at once" and "after the body deadline" cannot be confused; the head deadline
    # short, so a head left half-sent is seen to get it.
    "CLIENT_HEADER_TIMEOUT": "1",
    "CLIENT_BODY_TIMEOUT": "10",
    "CLIENT_IDLE_TIMEOUT": "30",
}
ADMIN_ACCOUNT = True
ANSWER_DEADLINE = 5.0
JSON_HEAD = [("Content-Type", "application/json")]


def service_requests(system: System, service: str, route: str) -> int:
    """How many requests SERVICE ('auth' or 'content') has answered on ROUTE (its router's path template)."""
    total = 0
    pattern = re.compile(r'^hb_requests(?:_total)?\{([^}]*)\} ([0-9.e+]+)$')
    for line in system.metrics(service).splitlines():
        match = pattern.match(line)
        if match and f'http_route="{route}"' in match.group(1):
            total += int(float(match.group(2)))
    return total


def signed_out(system: System, account: Account) -> Account:
    """ACCOUNT after signing out its session: its access token is revoked."""
    reply = system.http.post("/api/auth/signout", headers=account.headers())
    assert reply.status == 200, f"signout failed: {reply}"
    refused = system.http.get("/api/test/user", headers=account.headers(), check=False)
    assert refused.status == 401, f"the signed-out token still opens /api/test/user: {refused}"
    return account


def read_all(conn: RawConnection, count: int) -> list:
    """Up to COUNT answers on CONN, stopping at the first that is not a whole answer."""
    return conn.read_responses(count, deadline=ANSWER_DEADLINE)


def bodies(outcomes: list) -> bytes:
    return b"\n".join(outcome.raw + outcome.body for outcome in outcomes)


# ------------------------------------------------------------------ framing is the gateway's


def test_connection_naming_content_length_cannot_turn_a_body_into_a_second_request(
        hostile_system: System, hostile_admin: Account) -> None:
    """`Connection: content-length` once made the gateway drop the length but still send the body: the
    service read the body as a request of its own, with a signed-out admin token nobody checked."""
    system = hostile_system
    revoked = signed_out(system, hostile_admin)
    inner = request_bytes("GET", "/api/test/admin", [("x-access-token", revoked.access_token)])
    before = service_requests(system, "content", "/api/test/admin")
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/all", [("Connection", "content-length"),
                                                         ("Content-Length", str(len(inner)))], inner))
        answers = read_all(conn, 1)
        conn.try_send(request_bytes("GET", "/api/test/all"))
        answers += read_all(conn, 1)
    for _ in range(4):  # fresh connections, on every event loop: no pooled connection holds the rest
        answers.append(system.http.get("/api/test/all"))
    time.sleep(0.3)
    TALLY.add("cases")
    seen = b"".join(getattr(a, "raw", b"") + a.body for a in answers)
    assert b"Admin Content" not in seen, f"a smuggled request was answered: {seen[:600]!r}"
    assert service_requests(system, "content", "/api/test/admin") == before, "a request the gateway never checked reached the content service"
    assert answers[0].kind == "answered" and answers[0].status == 200 and answers[0].body == b"Public Content.", answers[0].describe()


def test_a_smuggled_signin_never_reaches_the_auth_service(hostile_system: System) -> None:
    """The same trick once sent a signin with a client-chosen X-Forwarded-For past the per-address limit."""
    system = hostile_system
    account = create_account(system.http)
    body = json.dumps({"username": account.username, "password": account.password}).encode()
    inner = request_bytes("POST", "/api/auth/signin", JSON_HEAD + [("X-Forwarded-For", "203.0.113.66"),
                                                                   ("Content-Length", str(len(body)))], body)
    before = service_requests(system, "auth", "/api/auth/signin")
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/.well-known/jwks.json", [("Connection", "Content-Length"),
                                                                  ("Content-Length", str(len(inner)))], inner))
        read_all(conn, 1)
    system.http.get("/.well-known/jwks.json")
    system.http.get("/.well-known/jwks.json")
    time.sleep(0.5)  # a signin that got through takes its argon2 time before it is counted
    TALLY.add("cases")
    assert service_requests(system, "auth", "/api/auth/signin") == before, "a smuggled signin reached the auth service"
    sessions = system.http.get("/api/auth/sessions", headers=account.headers()).json()
    assert all(session.get("ip") != "203.0.113.66" for session in sessions), sessions


def test_a_half_smuggled_request_cannot_complete_with_another_clients_request(
        hostile_system: System, hostile_admin: Account) -> None:
    """A body ending in half a request once stayed in a pooled upstream connection; the next client's
    request on it (an admin's) completed it: the victim was disabled with the admin's token."""
    system = hostile_system
    victim = create_account(system.http)
    inner = (f"POST /api/admin/users/{victim.id}/disable HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
             "X-Hijack: ").encode()
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/auth/me", [("Connection", "content-length"),
                                                        ("x-access-token", victim.access_token),
                                                        ("Content-Length", str(len(inner)))], inner))
        read_all(conn, 1)
    answers = []
    for _ in range(4):  # new connections, so every event loop's pool is asked
        client = Client(f"http://127.0.0.1:{system.gateway_port}")
        answers.append(client.get("/api/admin/users?limit=5", headers=hostile_admin.headers(), check=False))
        client.close()
    TALLY.add("cases")
    for reply in answers:
        assert reply.status == 200 and isinstance(reply.json().get("users"), list), f"the admin got someone else's answer: {reply}"
    detail = system.http.get(f"/api/admin/users/{victim.id}", headers=hostile_admin.headers()).json()
    assert detail["disabled"] is False, f"the victim was disabled through another client's request: {detail}"


def test_a_body_without_a_declared_length_on_a_get_is_not_sent_raw(hostile_system: System, hostile_admin: Account) -> None:
    """A GET whose Content-Length `Connection` removed had its body written raw after the head."""
    system = hostile_system
    revoked = signed_out(system, hostile_admin)
    inner = request_bytes("GET", "/api/test/mod", [("Authorization", f"Bearer {revoked.access_token}")])
    before = service_requests(system, "content", "/api/test/mod")
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/user", [
            ("Connection", "keep-alive, Content-Length, Transfer-Encoding"),
            ("x-access-token", create_account(system.http).access_token),
            ("Content-Length", str(len(inner)))], inner))
        read_all(conn, 1)
    system.http.get("/api/test/all")
    TALLY.add("cases")
    assert service_requests(system, "content", "/api/test/mod") == before


# ------------------------------------------------------------------ one credential, the checked one


def test_connection_cannot_drop_the_checked_token_and_expose_an_unchecked_one(
        hostile_system: System, hostile_admin: Account) -> None:
    """x-access-token (a user's valid token) was checked, then dropped as `Connection`-listed; the
    service authorized the unchecked `Authorization` (a signed-out admin's) instead."""
    system = hostile_system
    user = create_account(system.http)
    revoked = signed_out(system, hostile_admin)
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/admin", [
            ("x-access-token", user.access_token), ("Authorization", f"Bearer {revoked.access_token}"),
            ("Connection", "x-access-token")]))
        outcome = conn.read_response(ANSWER_DEADLINE)
    expect_answer(outcome, {400}, "GET", "/api/test/admin", "two different tokens")
    assert b"Admin Content" not in outcome.body


@pytest.mark.parametrize("listed", ["authorization", "x-access-token", "Authorization, X-Access-Token"])
def test_a_token_named_in_connection_is_still_the_one_checked_and_forwarded(hostile_system: System, listed: str) -> None:
    """Listing the token header in `Connection` neither removes the token the gateway checked nor
    lets the service see a different one."""
    system = hostile_system
    user = create_account(system.http)
    header = ("Authorization", f"Bearer {user.access_token}") if listed.lower().startswith("authorization") \
        else ("x-access-token", user.access_token)
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/user", [header, ("Connection", listed)]))
        outcome = conn.read_response(ANSWER_DEADLINE)
    expect_answer(outcome, {200}, "GET", "/api/test/user", f"Connection: {listed}")
    assert outcome.body == b"User Content."


def test_both_token_headers_with_the_same_token_are_one_credential(hostile_system: System) -> None:
    system = hostile_system
    user = create_account(system.http)
    reply = system.http.get("/api/test/user", headers={"x-access-token": user.access_token,
                                                       "Authorization": f"Bearer {user.access_token}"})
    TALLY.add("cases")
    assert reply.status == 200 and reply.body == b"User Content.", reply


def test_a_public_route_forwards_no_unchecked_credential(hostile_system: System, hostile_admin: Account) -> None:
    """A signed-out admin's token on signup must not create an admin: signup verifies the one token it
    gets itself, and a second header cannot slip past."""
    system = hostile_system
    revoked = signed_out(system, hostile_admin)
    name = "sm" + str(int(time.time() * 1000) % 10**9)
    body = json.dumps({"username": name, "email": f"{name}@example.com", "password": "secret-pw",
                       "roles": ["admin"]}).encode()
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("POST", "/api/auth/signup", JSON_HEAD + [
            ("Authorization", f"Bearer {revoked.access_token}"), ("Connection", "x-access-token"),
            ("Content-Length", str(len(body)))], body))
        outcome = conn.read_response(ANSWER_DEADLINE)
    expect_answer(outcome, {401, 403}, "POST", "/api/auth/signup", "signup with a signed-out admin's token")


# ------------------------------------------------------------------ what the gateway does not proxy


def gateway_rss_kib(system: System) -> int:
    for line in open(f"/proc/{system.gateways[0].pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS for the gateway")


def test_upgrade_is_refused_and_the_connection_closed_without_buffering(hostile_system: System) -> None:
    """After `Connection: Upgrade` every further byte was buffered without bound and nothing answered."""
    system = hostile_system
    rss_before = gateway_rss_kib(system)
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/all", [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                                         ("Sec-WebSocket-Version", "13"),
                                                         ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]))
        chunk = b"x" * 65536
        sent = 0
        deadline = time.monotonic() + 3
        while sent < 32 << 20 and time.monotonic() < deadline and conn.try_send(chunk):
            sent += len(chunk)
        outcome = conn.read_response(ANSWER_DEADLINE)
        expect_answer(outcome, {400}, "GET", "/api/test/all", "an Upgrade request")
        closed = conn.wait_closed(ANSWER_DEADLINE)
    assert closed.kind == "closed", f"the connection stayed open after refusing an upgrade: {closed.describe()}"
    growth = gateway_rss_kib(system) - rss_before
    assert growth < 16 * 1024, f"the gateway grew by {growth} KiB while {sent} bytes were sent after an upgrade"


@pytest.mark.parametrize("target", ["example.com:443", "/api/test/all"])
def test_connect_gets_a_whole_answer_and_a_close(hostile_system: System, target: str) -> None:
    """CONNECT got a JSON content type with no body and no length, and a 405 kept the connection open."""
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("CONNECT", target))
        outcome = conn.read_response(ANSWER_DEADLINE)
        expect_answer(outcome, {400, 405}, "CONNECT", target, "CONNECT")
        assert outcome.header("content-length") == str(len(outcome.body)), outcome.raw
        assert conn.wait_closed(ANSWER_DEADLINE).kind == "closed", "CONNECT left the connection open"


def test_a_fragment_is_not_forwarded(hostile_system: System) -> None:
    """`/api/test/user#x` was routed as `/api/test/user`, then sent upstream with its fragment (404)."""
    user = create_account(hostile_system.http)
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/user#x", [("x-access-token", user.access_token)]))
        outcome = conn.read_response(ANSWER_DEADLINE)
    expect_answer(outcome, {200}, "GET", "/api/test/user#x", "a target with a fragment")
    assert outcome.body == b"User Content."


# ------------------------------------------------------------------ deadlines and limits


def test_half_a_head_pipelined_behind_a_request_gets_the_head_deadline(hostile_system: System) -> None:
    """The half head got the idle deadline (30 s here), not CLIENT_HEADER_TIMEOUT (1 s here)."""
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/all") + b"GET /api/te")
        first = conn.read_response(ANSWER_DEADLINE)
        expect_answer(first, {200}, "GET", "/api/test/all", "the complete request")
        outcome = conn.wait_closed(4.0)
    TALLY.add("cases")
    assert outcome.kind in ("answered", "closed") and outcome.elapsed < 3.5, f"half a head: {outcome.describe()}"
    if outcome.kind == "answered":
        assert outcome.status == 408, outcome.describe()


def test_a_chunk_larger_than_the_body_limit_gets_413_at_once(hostile_system: System) -> None:
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("POST", "/api/auth/signin", JSON_HEAD + [("Transfer-Encoding", "chunked")]) +
                  b"%x\r\n{\"user" % (1 << 30))
        outcome = conn.read_response(3.0)
    expect_answer(outcome, {413}, "POST", "/api/auth/signin", "a 1 GiB chunk")
    assert outcome.elapsed < 2.0, outcome.describe()


# ------------------------------------------------------------------ token spelling


@pytest.mark.parametrize("padding", [" ", "  ", "\t", " \t "])
def test_a_token_header_loses_its_surrounding_whitespace(hostile_system: System, padding: str) -> None:
    user = create_account(hostile_system.http)
    for header in ("x-access-token", "Authorization"):
        value = user.access_token if header == "x-access-token" else f"Bearer {user.access_token}"
        with RawConnection(hostile_system.gateway_port) as conn:
            conn.send(request_bytes("GET", "/api/test/user", [(header, padding + value + padding)]))
            outcome = conn.read_response(ANSWER_DEADLINE)
        expect_answer(outcome, {200}, "GET", "/api/test/user", f"{header} padded with {padding!r}")


def respelled(token: str) -> str | None:
    """TOKEN with its signature in standard base64 (`+`, `/`) where base64url has `-`, `_`; None if the
    signature has neither."""
    head, payload, signature = token.split(".")
    if "-" not in signature and "_" not in signature:
        return None
    return ".".join([head, payload, signature.replace("-", "+").replace("_", "/")])


def with_spare_bits_set(token: str) -> str:
    """TOKEN with the unused low bits of its signature's last character set: the same bytes, another spelling."""
    head, payload, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare = {2: 0b1111, 3: 0b11}[len(signature) % 4]
    last = alphabet.index(signature[-1])
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))  # a valid spelling to start from
    return ".".join([head, payload, signature[:-1] + alphabet[last | spare]])


def test_a_token_in_standard_base64_or_with_spare_bits_is_refused(hostile_system: System) -> None:
    system = hostile_system
    user = create_account(system.http)
    variants = []
    for _ in range(20):
        spelled = respelled(user.access_token)
        if spelled:
            variants.append(spelled)
            break
        user = create_account(system.http)
    assert variants, "no signature with - or _ in 20 signins"
    variants.append(with_spare_bits_set(user.access_token))
    for token in variants:
        for headers in ({"x-access-token": token}, {"Authorization": f"Bearer {token}"}):
            reply = system.http.get("/api/test/user", headers=headers, check=False)
            TALLY.add("cases")
            assert reply.status == 401, f"another spelling of a valid token was accepted: {reply}"
