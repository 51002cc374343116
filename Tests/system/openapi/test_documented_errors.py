"""The documented answers that generated requests rarely reach, caused on purpose and held to the document.

Each test makes the gateway give one of them (a malformed or oversized request, an unsupported
content type or expectation, a huge header block, a stalled head or body, an expired token, a rate
limit, Redis gone) and validates the answer with the same schemathesis checks as the generated run:
the status is documented for the operation, the body matches its schema and the documented headers
(``X-Request-Id``, ``Retry-After``) are there. They run on a System of their own with short
timeouts, one-second access tokens and a low refresh limit on a Redis of its own; the 503 test pauses
the Redis of yet another System.
"""

from __future__ import annotations

import time
from typing import Iterator

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error

from support import accounts
from support.rawhttp import Outcome, RawConnection
from support.stores import PrivateRedis
from support.system import System

from .test_schemathesis import CHECKS, schema

REFRESH_LIMIT = 2
ENV = {
    "ACCESS_TOKEN_TTL": "1",
    "JWT_LEEWAY": "0",
    "RATE_LIMIT_REFRESH": str(REFRESH_LIMIT),
    "CLIENT_HEADER_TIMEOUT": "1",
    "CLIENT_BODY_TIMEOUT": "1",
}


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    """A Redis of this module's own, so the rate-limit counters are this module's alone."""
    server = PrivateRedis()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def errors_system(redis: PrivateRedis) -> Iterator[System]:
    """The System these tests provoke."""
    system = System(env=ENV, redis_url=redis.url, name="documented-errors")
    try:
        yield system
        system.assert_no_crash()
    finally:
        system.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A plain requests session (never a proxy from the environment)."""
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


def conforms(path: str, method: str, response: requests.Response | schemathesis.Response, status: int) -> None:
    """RESPONSE has STATUS and keeps the document of operation METHOD PATH (a 503 is meant here)."""
    assert response.status_code == status, f"{method} {path}: {response.status_code} {response.content[:300]!r}"
    checks = [check for check in CHECKS if check is not not_a_server_error] if status == 503 else CHECKS
    schema[path][method].Case().validate_response(response, checks=checks)


def as_response(outcome: Outcome, method: str, url: str) -> schemathesis.Response:
    """A raw-socket answer as a schemathesis Response, so it can be validated like any other."""
    assert outcome.kind == "answered", outcome.describe()
    headers: dict[str, list[str]] = {}
    for name, value in outcome.headers:
        headers.setdefault(name.lower(), []).append(value)
    return schemathesis.Response(
        status_code=outcome.status or 0,
        headers=headers,
        content=outcome.body,
        request=requests.Request(method, url).prepare(),
        elapsed=outcome.elapsed,
        verify=True,
        message=outcome.reason,
        http_version=outcome.version.removeprefix("HTTP/") or "1.1",
        encoding="utf-8",
    )


def test_malformed_json_is_a_documented_400(errors_system: System, http: requests.Session) -> None:
    """A signin body that is not JSON gets the documented 400."""
    response = http.post(errors_system.gateway_url() + "/api/auth/signin", data=b'{"username": ',
                         headers={"Content-Type": "application/json"}, timeout=20)
    conforms("/api/auth/signin", "POST", response, 400)


def test_oversized_body_is_a_documented_413(errors_system: System, http: requests.Session) -> None:
    """A 70 KiB signup body (the limit is 64 KiB) gets the documented 413."""
    body = b'{"username": "' + b"a" * (70 * 1024) + b'"}'
    response = http.post(errors_system.gateway_url() + "/api/auth/signup", data=body,
                         headers={"Content-Type": "application/json"}, timeout=20)
    conforms("/api/auth/signup", "POST", response, 413)


def test_unsupported_content_type_is_a_documented_415(errors_system: System, http: requests.Session) -> None:
    """A text/plain signin body gets the documented 415."""
    response = http.post(errors_system.gateway_url() + "/api/auth/signin", data=b"username=a&password=b",
                         headers={"Content-Type": "text/plain"}, timeout=20)
    conforms("/api/auth/signin", "POST", response, 415)


def test_unsupported_expectation_is_a_documented_417(errors_system: System, http: requests.Session) -> None:
    """An Expect header other than 100-continue gets the documented 417."""
    response = http.get(errors_system.gateway_url() + "/api/test/all", headers={"Expect": "teapot"}, timeout=20)
    conforms("/api/test/all", "GET", response, 417)


def test_huge_header_block_is_a_documented_431(errors_system: System) -> None:
    """A 100 KiB header gets the documented 431."""
    with RawConnection(errors_system.gateway_port) as connection:
        connection.try_send(b"GET /api/test/all HTTP/1.1\r\nHost: gateway\r\nX-Filler: " + b"x" * (100 * 1024) + b"\r\n\r\n")
        outcome = connection.read_response(deadline=10)
    conforms("/api/test/all", "GET", as_response(outcome, "GET", errors_system.gateway_url() + "/api/test/all"), 431)


def test_stalled_head_is_a_documented_408(errors_system: System) -> None:
    """Half a request head, then nothing: CLIENT_HEADER_TIMEOUT later the documented 408."""
    with RawConnection(errors_system.gateway_port) as connection:
        connection.send(b"GET /api/test/all HTTP/1.1\r\nHost: gateway\r\n")
        outcome = connection.read_response(deadline=10)
    conforms("/api/test/all", "GET", as_response(outcome, "GET", errors_system.gateway_url() + "/api/test/all"), 408)


def test_stalled_body_is_a_documented_408(errors_system: System) -> None:
    """A body shorter than its Content-Length, held open: CLIENT_BODY_TIMEOUT later the documented 408."""
    with RawConnection(errors_system.gateway_port) as connection:
        connection.send(b"POST /api/auth/signin HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 100\r\n\r\n{}")
        outcome = connection.read_response(deadline=10)
    url = errors_system.gateway_url() + "/api/auth/signin"
    conforms("/api/auth/signin", "POST", as_response(outcome, "POST", url), 408)


def test_expired_token_is_a_documented_401(errors_system: System, http: requests.Session) -> None:
    """A token past its one-second lifetime gets the documented 401 with the expiry message."""
    account = accounts.create_account(errors_system.http)
    time.sleep(2.2)
    response = http.get(errors_system.gateway_url() + "/api/test/user", headers=account.headers(), timeout=20)
    conforms("/api/test/user", "GET", response, 401)
    assert response.json()["message"] == "Unauthorized! Access Token was expired!"


def test_rate_limit_is_a_documented_429(errors_system: System, http: requests.Session) -> None:
    """The refresh after RATE_LIMIT_REFRESH of them in a window gets the documented 429 with Retry-After."""
    url = errors_system.gateway_url() + "/api/auth/refreshtoken"
    answers = [http.post(url, json={"refreshToken": "not-a-token"}, timeout=20) for _ in range(REFRESH_LIMIT + 1)]
    for response in answers[:REFRESH_LIMIT]:
        conforms("/api/auth/refreshtoken", "POST", response, 403)
    conforms("/api/auth/refreshtoken", "POST", answers[-1], 429)


def test_redis_gone_is_a_documented_503(make_system, private_redis: PrivateRedis, http: requests.Session) -> None:  # noqa: ANN001
    """With Redis paused a protected route fails closed with the documented 503; it recovers on resume.

    A System of its own: its tokens must outlive the pause, and the paused Redis must be nobody else's.
    """
    system: System = make_system(redis_url=private_redis.url)
    account = accounts.create_account(system.http)
    url = system.gateway_url() + "/api/test/user"
    private_redis.pause()
    try:
        deadline = time.monotonic() + 10
        response = http.get(url, headers=account.headers("bearer"), timeout=20)
        while response.status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            response = http.get(url, headers=account.headers("bearer"), timeout=20)
        conforms("/api/test/user", "GET", response, 503)
        conforms("/api/test/all", "GET", http.get(system.gateway_url() + "/api/test/all", timeout=20), 200)
    finally:
        private_redis.resume()
    deadline = time.monotonic() + 10
    while http.get(url, headers=account.headers(), timeout=20).status_code != 200:
        assert time.monotonic() < deadline, "the gateway did not recover within 10 s of Redis resuming"
        time.sleep(0.2)
