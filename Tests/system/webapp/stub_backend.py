"""An in-memory stand-in for the backend, for unit tests of the page's code only.

The web app has pages for routes the backend does not have yet (issue 10: ``/api/auth/me``,
``/api/auth/sessions``, ``/api/admin/users``); they stay hidden against the real gateway, so the
end-to-end suite cannot reach their code. ``StubBackend`` serves the app's real files (with the
gateway's page headers) and canned answers for those routes on 127.0.0.1, and records every API
request, so a test can drive those pages in the browser and see what they sent.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

WEB_DIR = Path(__file__).resolve().parents[3] / "Sources" / "Gateway" / "Resources" / "web"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
ACCESS_TOKEN = "stub-access-token-0123456789-abcdefghij"


@dataclass
class Recorded:
    """One API request the page sent."""

    method: str
    path: str
    query: dict[str, list[str]]
    token: str | None


@dataclass
class StubState:
    """What the stub answers: the signed-in user, their sessions and the admin's user list."""

    user: dict = field(default_factory=lambda: {
        "id": 7, "username": "alice", "email": "alice@signin.example", "roles": ["ROLE_USER", "ROLE_ADMIN"],
    })
    me: dict = field(default_factory=lambda: {
        "id": 7, "username": "alice", "email": "alice@me.example", "roles": ["ROLE_USER", "ROLE_ADMIN"],
    })
    sessions: list[dict] = field(default_factory=lambda: [
        {"id": "s-current", "createdAt": "2026-12-01T09:00:00Z", "lastUsedAt": "2026-12-01T09:30:00Z",
         "userAgent": "Chromium (this one)", "ip": "127.0.0.1", "current": True},
        {"id": "s-other", "createdAt": "2026-11-30T08:00:00Z", "lastUsedAt": "2026-11-30T20:00:00Z",
         "userAgent": "<img src=x onerror=alert(1)>", "ip": "192.0.2.7", "current": False},
    ])
    users: list[dict] = field(default_factory=lambda: [
        {"id": n, "username": f"user{n:02d}", "email": f"user{n:02d}@example.com", "roles": ["ROLE_USER"],
         "disabled": n == 3, "createdAt": "2026-11-01T12:00:00Z"} for n in range(1, 26)
    ])
    requests: list[Recorded] = field(default_factory=list)


class StubBackend:
    """The stub on 127.0.0.1:PORT in a background thread; ``stop()`` ends it."""

    def __init__(self, port: int) -> None:
        self.state = StubState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
                pass

            def _answer(self, status: int, body: bytes, content_type: str, page: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if page:
                    self.send_header("Content-Security-Policy", CSP)
                    self.send_header("X-Content-Type-Options", "nosniff")
                    self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, value: object) -> None:
                self._answer(status, json.dumps(value).encode(), "application/json; charset=utf-8")

            def _handle(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if self.command == "GET" and url.path == "/":
                    return self._answer(200, (WEB_DIR / "index.html").read_bytes(), TYPES[".html"], page=True)
                if self.command == "GET" and url.path.startswith("/web/"):
                    file = WEB_DIR / url.path[len("/web/"):]
                    if file.parent == WEB_DIR and file.suffix in TYPES and file.is_file():
                        return self._answer(200, file.read_bytes(), TYPES[file.suffix], page=True)
                    return self._json(404, {"message": "Not found"})
                state.requests.append(Recorded(self.command, url.path, parse_qs(url.query),
                                               self.headers.get("x-access-token")))
                signed_in = self.headers.get("x-access-token") == ACCESS_TOKEN
                if self.command == "POST" and url.path == "/api/auth/signin":
                    return self._json(200, {**state.user, "accessToken": ACCESS_TOKEN, "refreshToken": "stub-refresh"})
                if self.command == "POST" and url.path == "/api/auth/signout" and signed_in:
                    return self._json(200, {"message": "You've been signed out!"})
                if not signed_in:
                    return self._json(403, {"message": "No token provided!"})
                if self.command == "GET" and url.path == "/api/auth/me":
                    return self._json(200, state.me)
                if self.command == "GET" and url.path == "/api/auth/sessions":
                    return self._json(200, state.sessions)
                if self.command == "DELETE" and url.path.startswith("/api/auth/sessions/"):
                    wanted = url.path.rsplit("/", 1)[1]
                    if not any(session["id"] == wanted for session in state.sessions):
                        return self._json(404, {"message": "Not found"})
                    state.sessions = [session for session in state.sessions if session["id"] != wanted]
                    return self._json(200, {"message": "Session ended"})
                if self.command == "GET" and url.path == "/api/admin/users":
                    query = parse_qs(url.query)
                    limit, offset = int(query.get("limit", ["20"])[0]), int(query.get("offset", ["0"])[0])
                    text = query.get("q", [""])[0].lower()
                    found = [u for u in state.users if text in u["username"] or text in u["email"]]
                    return self._json(200, {"users": found[offset:offset + limit], "total": len(found)})
                return self._json(404, {"message": "Not found"})

            do_GET = do_POST = do_DELETE = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="stub-backend", daemon=True)
        self._thread.start()

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        """The recorded requests with METHOD and PATH."""
        return [r for r in self.state.requests if r.method == method and r.path == path]

    def stop(self) -> None:
        """Stops serving and closes the socket."""
        self.server.shutdown()
        self.server.server_close()
