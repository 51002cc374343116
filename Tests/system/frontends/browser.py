"""What a browser adds to a frontend's cross-origin request, and what it lets the frontend read.

The tutorial's frontends run on their own origin (``http://localhost:8081``, or ``:4200`` for
``ng serve``) and call the API on ``http://localhost:8080``: every call is a CORS request. This module
plays the browser's part as the Fetch standard defines it (https://fetch.spec.whatwg.org/, "CORS
protocol"), so a test can send exactly what a browser sends and refuse what a browser would refuse:

- a request that is not "simple" (a non-safelisted method, or a header that is not CORS-safelisted:
  ``x-access-token``, ``Authorization``, ``Content-Type: application/json``) is preceded by a preflight
  ``OPTIONS`` with ``Access-Control-Request-Method`` and ``Access-Control-Request-Headers`` (the unsafe
  header names, lower-cased, sorted, joined by ``,``), sent without credentials;
- the preflight must answer 2xx with ``Access-Control-Allow-Origin`` equal to the origin (``*`` is
  refused in credentials mode), ``Access-Control-Allow-Credentials: true`` in credentials mode, the method
  and every requested header allowed;
- the real request carries ``Origin``; its answer is readable only if it passes the same origin check.

A refusal raises ``CorsBlocked``: in a browser the frontend would see a network error instead.

Cookies are the browser's too (``CookieJar``): kept from ``Set-Cookie`` of answers the page may read in
credentials mode, sent by path, dropped at ``Max-Age``; never by requests' own session (the Client keeps
no cookies), so that a test sees exactly the cookies a browser would send.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from support.http import Client, Reply

#: Fetch: the methods a simple request may use.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Fetch: the only Content-Type essences that keep a request simple.
SAFELISTED_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
#: Fetch: bytes that make a safelisted header value unsafe.
_UNSAFE_VALUE_BYTES = frozenset(
    [*range(0x00, 0x09), *range(0x0A, 0x20), 0x22, 0x28, 0x29, 0x3A, 0x3C, 0x3E, 0x3F, 0x40, 0x5B, 0x5C, 0x5D, 0x7B,
     0x7D, 0x7F]
)
#: Headers every request of a Chromium-based browser carries that are not the page's to set.
BROWSER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Accept-Language": "en-US,en;q=0.9",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "same-site",  # localhost:8081 -> localhost:8080: ports do not make another site
    "Sec-Fetch-Dest": "empty",
}


@dataclass
class StoredCookie:
    """One cookie as a browser keeps it (RFC 6265 §5.3)."""

    name: str
    value: str
    path: str
    expires: float | None
    http_only: bool
    secure: bool
    same_site: str | None


@dataclass
class CookieJar:
    """The cookies a browser keeps for the gateway's host (host-only: no Domain attribute is expected)."""

    cookies: dict[tuple[str, str], StoredCookie] = field(default_factory=dict)

    def store(self, set_cookie: str, now: float | None = None) -> None:
        """Applies one ``Set-Cookie`` field: stores, replaces or (``Max-Age`` <= 0) deletes the cookie."""
        now = time.time() if now is None else now
        first, *attributes = [part.strip() for part in set_cookie.split(";")]
        name, _, value = first.partition("=")
        path, expires, http_only, secure, same_site = "/", None, False, False, None
        for attribute in attributes:
            key, _, argument = attribute.partition("=")
            key = key.strip().lower()
            if key == "path" and argument.startswith("/"):
                path = argument
            elif key == "max-age":
                expires = now + int(argument)
            elif key == "httponly":
                http_only = True
            elif key == "secure":
                secure = True
            elif key == "samesite":
                same_site = argument
        if expires is not None and expires <= now:
            self.cookies.pop((name, path), None)
            return
        self.cookies[(name, path)] = StoredCookie(name, value, path, expires, http_only, secure, same_site)

    def _live(self, now: float) -> list[StoredCookie]:
        for key, cookie in list(self.cookies.items()):
            if cookie.expires is not None and cookie.expires <= now:
                del self.cookies[key]
        return list(self.cookies.values())

    def header(self, path: str, https: bool = False) -> str | None:
        """The ``Cookie`` field for a request to PATH (RFC 6265 §5.4: path-match, longer paths first)."""
        def matches(cookie: StoredCookie) -> bool:
            if path == cookie.path:
                return True
            return path.startswith(cookie.path) and (cookie.path.endswith("/") or path[len(cookie.path)] == "/")

        chosen = [cookie for cookie in self._live(time.time()) if matches(cookie) and (https or not cookie.secure)]
        chosen.sort(key=lambda cookie: -len(cookie.path))
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in chosen) or None

    def get(self, name: str) -> StoredCookie | None:
        """The live cookie called NAME, whatever its path."""
        return next((cookie for cookie in self._live(time.time()) if cookie.name == name), None)

    def script_visible(self) -> str:
        """What ``document.cookie`` shows a page script: the cookies that are not HttpOnly."""
        return "; ".join(f"{c.name}={c.value}" for c in self._live(time.time()) if not c.http_only)

    def names(self) -> set[str]:
        """The names of the live cookies."""
        return {cookie.name for cookie in self._live(time.time())}


class CorsBlocked(AssertionError):
    """The browser would not let the frontend read this answer (or not even send the request)."""


def _is_safelisted(name: str, value: str) -> bool:
    """Fetch's "CORS-safelisted request-header" for the headers these frontends send."""
    lowered = name.lower()
    if len(value) > 128 and lowered in ("accept", "accept-language", "content-language", "content-type"):
        return False
    if lowered == "accept":
        return not any(ord(char) in _UNSAFE_VALUE_BYTES for char in value)
    if lowered in ("accept-language", "content-language"):
        return all(char.isalnum() or char in " *,-.;=" for char in value)
    if lowered == "content-type":
        if any(ord(char) in _UNSAFE_VALUE_BYTES for char in value):
            return False
        return value.split(";", 1)[0].strip().lower() in SAFELISTED_CONTENT_TYPES
    return False


def unsafe_header_names(headers: Mapping[str, str]) -> list[str]:
    """Fetch's "CORS-unsafe request-header names": lower-cased, sorted, without duplicates."""
    return sorted({name.lower() for name, value in headers.items() if not _is_safelisted(name, value)})


def _header_list(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


@dataclass
class Browser:
    """One page's origin in a browser, calling the gateway through CLIENT.

    ``credentials`` is XMLHttpRequest's ``withCredentials`` (Angular's cookie editions set it).
    ``preflights`` records every preflight sent, as (method, path, Access-Control-Request-Headers).
    """

    client: Client
    origin: str
    credentials: bool = False

    def __post_init__(self) -> None:
        self.preflights: list[tuple[str, str, str | None]] = []
        #: The browser's cookies for the gateway (the Client keeps none of its own).
        self.jar = CookieJar()

    def _check_origin(self, reply: Reply, what: str) -> None:
        allowed = reply.headers.get("Access-Control-Allow-Origin")
        if allowed is None:
            raise CorsBlocked(f"{what}: no Access-Control-Allow-Origin for {self.origin}: {reply}")
        if allowed != self.origin and not (allowed == "*" and not self.credentials):
            raise CorsBlocked(f"{what}: Access-Control-Allow-Origin {allowed!r} is not {self.origin}")
        if self.credentials and reply.headers.get("Access-Control-Allow-Credentials") != "true":
            raise CorsBlocked(f"{what}: credentials mode needs Access-Control-Allow-Credentials: true: {reply}")

    def preflight(self, method: str, path: str, unsafe: list[str]) -> Reply:
        """Sends the preflight a browser sends before METHOD PATH with those unsafe headers, and checks it."""
        headers = {**BROWSER_HEADERS, "Accept": "*/*", "Origin": self.origin, "Access-Control-Request-Method": method}
        request_headers = ",".join(unsafe) if unsafe else None
        if request_headers:
            headers["Access-Control-Request-Headers"] = request_headers
        self.preflights.append((method, path, request_headers))
        reply = self.client.request("OPTIONS", path, headers=headers)
        what = f"preflight of {method} {path}"
        if not 200 <= reply.status < 300:
            raise CorsBlocked(f"{what}: status {reply.status}: {reply}")
        self._check_origin(reply, what)
        methods = _header_list(reply.headers.get("Access-Control-Allow-Methods"))
        if method not in SAFELISTED_METHODS and method.lower() not in methods and not (
            "*" in methods and not self.credentials
        ):
            raise CorsBlocked(f"{what}: method {method} not in Access-Control-Allow-Methods {sorted(methods)}")
        allowed = _header_list(reply.headers.get("Access-Control-Allow-Headers"))
        for name in unsafe:
            wildcard = "*" in allowed and not self.credentials and name != "authorization"
            if name not in allowed and not wildcard:
                raise CorsBlocked(f"{what}: header {name} not in Access-Control-Allow-Headers {sorted(allowed)}")
        return reply

    def fetch(self, method: str, path: str, headers: Mapping[str, str] | None = None, body: Any = None) -> Reply:
        """METHOD PATH as the page asked for it (HEADERS and the JSON text BODY), preflighted when needed.

        Returns the answer when the browser would let the page read it; raises CorsBlocked otherwise.
        """
        page_headers = dict(headers or {})
        unsafe = unsafe_header_names(page_headers)
        if method not in SAFELISTED_METHODS or unsafe:
            self.preflight(method, path, unsafe)
        sent = {**BROWSER_HEADERS, **page_headers, "Origin": self.origin, "Referer": self.origin + "/"}
        cookies = self.jar.header(path.split("?", 1)[0]) if self.credentials else None
        if cookies:
            sent["Cookie"] = cookies
        data = body.encode("utf-8") if isinstance(body, str) else body
        reply = self.client.request(method, path, headers=sent, data=data)
        if self.credentials:
            # A credentialed answer's cookies are kept even when CORS then hides the answer from the page.
            for set_cookie in reply.set_cookies:
                self.jar.store(set_cookie)
        self._check_origin(reply, f"{method} {path}")
        return reply
