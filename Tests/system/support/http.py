"""An HTTP client for the gateway with per-call timeouts, checking every answer (see ``checks``)."""

from __future__ import annotations

import http.cookiejar
import json as jsonlib
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import requests
from requests.structures import CaseInsensitiveDict

from .checks import check_response, error_message

#: (connect, read) seconds; the gateway's own upstream deadline is 15 s, so 20 s means "hung".
DEFAULT_TIMEOUT = (5.0, 20.0)


@dataclass
class Reply:
    """One answer: status, headers (case-insensitive), raw body and how long it took."""

    status: int
    headers: CaseInsensitiveDict
    body: bytes
    elapsed: float
    method: str = "GET"
    path: str = "/"
    #: Every ``Set-Cookie`` field as sent (``headers`` joins them into one value).
    set_cookies: list[str] = field(default_factory=list)
    _json: Any = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (replacement characters for bad bytes)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises AssertionError naming the body when it is not JSON."""
        if self._json is None:
            try:
                self._json = jsonlib.loads(self.body)
            except ValueError as error:
                raise AssertionError(f"{self.method} {self.path}: {self.status} body is not JSON: {self.body[:300]!r}") from error
        return self._json

    @property
    def message(self) -> str | None:
        """The string ``message`` of a JSON object body, else None."""
        return error_message(self.body)

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} {self.body[:300]!r}"


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that keeps and sends nothing: for a test that sends the cookies it means, itself."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class Client:
    """requests.Session bound to one base URL (a gateway), keeping no cookies. Not shared between threads:
    make one per thread.

    Every answer is checked with ``checks.check_response`` unless ``check=False`` is passed (for
    health probes and answers a test inspects for rule-breaking on purpose).
    """

    def __init__(self, base_url: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy from the environment: loopback only
        # No cookie jar of its own: a test sends the Cookie field it means (SESSION_COOKIES), and a
        # client that replays cookies it was never told about would test the jar, not the system.
        self.session.cookies.set_policy(NoCookies())

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        check: bool = True,
    ) -> Reply:
        """Sends one request to BASE_URL + PATH and returns the Reply (body fully read)."""
        started = time.monotonic()
        response = self.session.request(
            method,
            self.base_url + path,
            json=json,
            data=data,
            headers=dict(headers or {}),
            params=params,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=False,
        )
        body = response.content
        reply = Reply(
            status=response.status_code,
            headers=response.headers,
            body=body,
            elapsed=time.monotonic() - started,
            method=method.upper(),
            path=path,
            set_cookies=list(response.raw.headers.getlist("Set-Cookie")),
        )
        if check:
            check_response(method, path, reply.status, body)
        return reply

    def get(self, path: str, **kwargs: Any) -> Reply:
        """GET PATH."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        """POST PATH."""
        return self.request("POST", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Reply:
        """HEAD PATH."""
        return self.request("HEAD", path, **kwargs)

    def close(self) -> None:
        """Closes the pooled connections."""
        self.session.close()
