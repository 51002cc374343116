"""The tutorial's frontends' API code, replayed request for request (see ``catalogue`` for the sources).

Each class is one client family: what its services, interceptors and token storage send and keep,
and what its pages read from the answers. They talk through a ``Browser`` (CORS as a browser does it),
so a test that drives one sees exactly what the frontend would see in a browser.

- ``AxiosPerCallPage``   React, React hooks, React Redux, React TS, Vue 2, Vue 3: axios with an
                         ``authHeader()`` per protected call, the signin body in localStorage "user".
- ``AngularTokenPage``   Angular 8-13 token editions: an HttpInterceptor adds the token to every
                         request, sessionStorage "auth-token" / "auth-user".
- ``AngularCookiePage``  Angular 12-17 "HttpOnly cookie" editions: ``withCredentials``, no token,
                         ``POST /api/auth/signout`` with ``{}`` on logout.
- ``AxiosRefreshPage``   React / Vue refresh-token editions: an axios instance whose interceptors send
                         ``x-access-token`` on every call and, on a 401, refresh once with the refresh
                         token stored at signin, keep only ``accessToken``, and retry.
- ``AngularRefreshPage`` Angular 10-12 refresh-token editions: the same rule in an HttpInterceptor.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from support.http import Reply

from .browser import Browser
from .catalogue import ACCEPT, JSON, Frontend


class ClientWouldHang(AssertionError):
    """The frontend's own code would loop or wait for ever on this answer (a refresh call answered 401)."""


@dataclass(frozen=True)
class Board:
    """What a board page shows: the status it got and the text it renders."""

    status: int
    content: str


def stringify(value: Any) -> str:
    """``JSON.stringify(value)``: compact, non-ASCII left as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def atob(text: str) -> bytes:
    """The browser's ``atob``: standard base64 only (``-`` and ``_`` are errors), padding optional."""
    text = re.sub(r"[\t\n\f\r ]", "", text)
    if len(text) % 4 == 0 and text.endswith("="):
        text = text[:-2] if text.endswith("==") else text[:-1]
    if len(text) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9+/]*", text):
        raise ValueError(f"atob: InvalidCharacterError for {text[:40]!r}...")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def parse_jwt(token: str) -> dict[str, Any]:
    """auth-verify.js's ``parseJwt``: ``JSON.parse(atob(token.split('.')[1]))``; raises where it returns null."""
    try:
        payload = json.loads(atob(token.split(".")[1]).decode("latin-1"))
    except (IndexError, ValueError, binascii.Error) as error:
        raise AssertionError(f"parseJwt would return null (and AuthVerify throw) for this token: {error}") from error
    assert isinstance(payload, dict), f"parseJwt gives {payload!r}, not an object"
    return payload


def assert_user_fields(user: Any, with_tokens: bool = True) -> None:
    """The signin body as the pages read it: navbar, profile, boards and AuthVerify.

    ``username``/``email`` are rendered, ``roles.includes('ROLE_ADMIN')`` picks the boards shown, the
    profile shows ``id`` and ``accessToken.substring(0, 20) ... substr(length - 20)``, AuthVerify reads
    ``parseJwt(accessToken).exp * 1000``; the refresh editions store ``refreshToken``.
    """
    assert isinstance(user, dict), f"signin body is not an object: {user!r}"
    assert isinstance(user.get("id"), int) and not isinstance(user["id"], bool), f"id: {user.get('id')!r}"
    assert isinstance(user.get("username"), str) and user["username"], f"username: {user.get('username')!r}"
    assert isinstance(user.get("email"), str) and "@" in user["email"], f"email: {user.get('email')!r}"
    roles = user.get("roles")
    assert isinstance(roles, list) and roles and all(isinstance(role, str) for role in roles), f"roles: {roles!r}"
    assert all(role.startswith("ROLE_") for role in roles), f"roles are not ROLE_*: {roles!r}"
    if with_tokens:
        token = user.get("accessToken")
        assert isinstance(token, str) and len(token) > 40, f"accessToken: {token!r}"
        exp = parse_jwt(token).get("exp")
        assert isinstance(exp, int) and not isinstance(exp, bool), f"exp must be a number of seconds: {exp!r}"
        assert isinstance(user.get("refreshToken"), str) and user["refreshToken"], "refreshToken missing"


def board_text(reply: Reply) -> str:
    """What a board renders: the body on success, the JSON error's ``message`` otherwise."""
    if 200 <= reply.status < 300:
        return reply.text
    message = reply.message
    assert message is not None, f"the page reads error.response.data.message, which is missing: {reply}"
    return message


class Page:
    """One tab of one frontend: its browser origin and its storage (local- or sessionStorage)."""

    def __init__(self, frontend: Frontend, browser: Browser) -> None:
        self.frontend = frontend
        self.browser = browser
        self.storage: dict[str, Any] = {}

    @property
    def user(self) -> dict[str, Any] | None:
        """The stored signin body (what the pages show), or None when signed out."""
        return self.storage.get("user")

    @property
    def signed_in(self) -> bool:
        """True while the frontend considers the user signed in."""
        return self.user is not None

    def _post_json(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        sent = {"Accept": ACCEPT, "Content-Type": self.frontend.content_type, **(headers or {})}
        return self.browser.fetch("POST", path, sent, stringify(body))

    def logout(self) -> None:
        """The navbar's LogOut: forget the user (no request: the tutorial had no signout route)."""
        self.storage.clear()


class AxiosPerCallPage(Page):
    """React / Vue without refresh: services/auth.service.js, auth-header.js and user.service.js."""

    def auth_header(self) -> dict[str, str]:
        """auth-header.js: the token in the header the frontend ships with, or nothing when signed out."""
        token = (self.user or {}).get("accessToken")
        if not token:
            return {"Authorization": ""} if self.frontend.empty_authorization_when_signed_out else {}
        if self.frontend.token_header == "bearer":
            return {"Authorization": "Bearer " + token}
        return {"x-access-token": token}

    def register(self, username: str, email: str, password: str) -> Reply:
        """The Register form: POST signup with exactly these three fields, no token."""
        return self._post_json("/api/auth/signup", {"username": username, "email": email, "password": password})

    def login(self, username: str, password: str) -> Reply:
        """The Login form: POST signin; the whole body goes to localStorage when it has an accessToken."""
        reply = self._post_json("/api/auth/signin", {"username": username, "password": password})
        if reply.status == 200 and reply.json().get("accessToken"):
            self.storage["user"] = reply.json()
        return reply

    def board(self, name: str) -> Board:
        """A board page: GET /api/test/NAME (with authHeader() but for "all"); React signs out on 401."""
        headers = {"Accept": ACCEPT, **({} if name == "all" else self.auth_header())}
        reply = self.browser.fetch("GET", f"/api/test/{name}", headers)
        if reply.status == 401 and self.frontend.board_signs_out_on_401:
            self.logout()
        return Board(reply.status, board_text(reply))


class AngularTokenPage(Page):
    """Angular 8-13: _helpers/auth.interceptor.ts puts ``Authorization: Bearer`` on every request."""

    def _intercept(self, headers: dict[str, str]) -> dict[str, str]:
        token = self.storage.get("auth-token")
        return {**headers, "Authorization": "Bearer " + token} if token is not None else headers

    def _post_json(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        sent = self._intercept({"Accept": ACCEPT, "Content-Type": JSON, **(headers or {})})
        return self.browser.fetch("POST", path, sent, stringify(body))

    def register(self, username: str, email: str, password: str) -> Reply:
        """register.component.ts -> AuthService.register: POST signup (the interceptor adds a stored token)."""
        return self._post_json("/api/auth/signup", {"username": username, "email": email, "password": password})

    def login(self, username: str, password: str) -> Reply:
        """login.component.ts: saveToken(data.accessToken), saveUser(data)."""
        reply = self._post_json("/api/auth/signin", {"username": username, "password": password})
        if reply.status == 200:
            self.storage["auth-token"] = reply.json()["accessToken"]
            self.storage["user"] = reply.json()
        return reply

    def board(self, name: str) -> Board:
        """UserService: GET with responseType 'text'; on error the page shows JSON.parse(err.error).message."""
        reply = self.browser.fetch("GET", f"/api/test/{name}", self._intercept({"Accept": ACCEPT}))
        if 200 <= reply.status < 300:
            return Board(reply.status, reply.text)
        return Board(reply.status, board_text(reply))


class AngularCookiePage(Page):
    """Angular 12-17 "jwt-auth": http.interceptor.ts sets withCredentials and no token header at all.

    ``angular-17-refresh-token``'s interceptor adds one rule: a 401 on anything but signin, while a user
    is stored, calls ``refreshToken()`` (``POST refreshtoken`` with ``{}``) and retries the request once;
    a 403 from that refresh emits "logout" (``app.component.ts``: signout, then clean the storage).
    ``refreshes`` keeps the refresh calls' answers.
    """

    def __init__(self, frontend: Frontend, browser: Browser) -> None:
        super().__init__(frontend, browser)
        self.refreshes: list[Reply] = []
        self.last_signout: Reply | None = None
        self._depth = 0

    @property
    def refreshes_on_401(self) -> bool:
        """Whether its interceptor has the refresh-and-retry rule."""
        return self.frontend.repo == "angular-17-refresh-token"

    def _intercept(self, method: str, path: str, headers: dict[str, str], body: str | None) -> Reply:
        self._depth += 1
        try:
            if self._depth > 3:
                raise ClientWouldHang(f"{method} {path}: refresh, logout and 401 call each other again and again")
            return self._intercepted(method, path, headers, body)
        finally:
            self._depth -= 1

    def _intercepted(self, method: str, path: str, headers: dict[str, str], body: str | None) -> Reply:
        reply = self.browser.fetch(method, path, headers, body)
        if not self.refreshes_on_401 or reply.status != 401 or "auth/signin" in path:
            return reply
        if self.signed_in:  # storageService.isLoggedIn()
            refreshed = self.browser.fetch("POST", "/api/auth/refreshtoken", {"Accept": ACCEPT, "Content-Type": JSON}, "{}")
            self.refreshes.append(refreshed)
            if refreshed.status != 200:
                if refreshed.status == 403:
                    self.logout()  # eventBusService.emit(new EventData('logout', null))
                return refreshed
        return self.browser.fetch(method, path, headers, body)  # next.handle(request)

    def _post_json(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        sent = {"Accept": ACCEPT, "Content-Type": self.frontend.content_type, **(headers or {})}
        return self._intercept("POST", path, sent, stringify(body))

    def register(self, username: str, email: str, password: str) -> Reply:
        """AuthService.register: POST signup."""
        return self._post_json("/api/auth/signup", {"username": username, "email": email, "password": password})

    def login(self, username: str, password: str) -> Reply:
        """login.component.ts: storageService.saveUser(data) (the session itself is the cookies)."""
        reply = self._post_json("/api/auth/signin", {"username": username, "password": password})
        if reply.status == 200:
            self.storage["user"] = reply.json()
        return reply

    def board(self, name: str) -> Board:
        """UserService: GET with responseType 'text' and credentials; errors show JSON.parse(err.error).message."""
        reply = self._intercept("GET", f"/api/test/{name}", {"Accept": ACCEPT}, None)
        return Board(reply.status, board_text(reply))

    def logout(self) -> None:
        """app.component.ts: POST signout with ``{}``; storage is cleaned only when that succeeds."""
        reply = self._post_json("/api/auth/signout", {})
        if 200 <= reply.status < 300:
            self.storage.clear()
        self.last_signout = reply


class AxiosRefreshPage(Page):
    """React / Vue refresh editions: services/api.js (or setupInterceptors.js) and token.service.js.

    ``refreshes`` counts the refresh calls; ``refresh_replies`` keeps their answers.
    """

    def __init__(self, frontend: Frontend, browser: Browser) -> None:
        super().__init__(frontend, browser)
        self.refreshes = 0
        self.refresh_replies: list[Reply] = []

    def _send(self, method: str, url: str, body: dict[str, Any] | None) -> Reply:
        """The request interceptor: ``x-access-token`` from localStorage whenever there is one."""
        headers = {"Accept": ACCEPT}
        if body is not None:
            headers["Content-Type"] = JSON  # axios drops the instance's Content-Type when there is no data
        token = (self.user or {}).get("accessToken")
        if token:
            headers["x-access-token"] = token
        return self.browser.fetch(method, "/api" + url, headers, None if body is None else stringify(body))

    def request(self, method: str, url: str, body: dict[str, Any] | None = None, retried: bool = False) -> Reply:
        """One call through the instance, with the response interceptor's refresh-and-retry-once rule."""
        reply = self._send(method, url, body)
        if url != "/auth/signin" and reply.status == 401 and not retried:
            if url == "/auth/refreshtoken":
                raise ClientWouldHang(f"a 401 on the refresh call makes the interceptor refresh again: {reply}")
            stored = (self.user or {}).get("refreshToken")  # TokenService.getLocalRefreshToken(): signin's
            refreshed = self.request("POST", "/auth/refreshtoken", {"refreshToken": stored})
            self.refreshes += 1
            self.refresh_replies.append(refreshed)
            if refreshed.status != 200:
                return refreshed  # Promise.reject(_error): the page gets the refresh call's error
            access_token = refreshed.json()["accessToken"]
            assert isinstance(access_token, str) and access_token, f"refresh answer without accessToken: {refreshed}"
            if self.user is not None:
                self.storage["user"] = {**self.user, "accessToken": access_token}  # updateLocalAccessToken
            return self.request(method, url, body, retried=True)
        return reply

    def register(self, username: str, email: str, password: str) -> Reply:
        """AuthService.register through the instance."""
        return self.request("POST", "/auth/signup", {"username": username, "email": email, "password": password})

    def login(self, username: str, password: str) -> Reply:
        """AuthService.login: TokenService.setUser(response.data) when it has an accessToken."""
        reply = self.request("POST", "/auth/signin", {"username": username, "password": password})
        if reply.status == 200 and reply.json().get("accessToken"):
            self.storage["user"] = reply.json()
        return reply

    def board(self, name: str) -> Board:
        """A board: GET /test/NAME through the instance; a 403 dispatches "logout" (EventBus)."""
        reply = self.request("GET", f"/test/{name}")
        if reply.status == 403:
            self.logout()
        return Board(reply.status, board_text(reply))


class AngularRefreshPage(Page):
    """Angular 10-12 refresh editions: _helpers/auth.interceptor.ts and token-storage.service.ts."""

    def __init__(self, frontend: Frontend, browser: Browser) -> None:
        super().__init__(frontend, browser)
        self.refreshes = 0
        self.refresh_replies: list[Reply] = []

    def _send(self, method: str, path: str, body: dict[str, Any] | None, token: str | None) -> Reply:
        headers = {"Accept": ACCEPT}
        if body is not None:
            headers["Content-Type"] = JSON
        if token is not None:
            headers["x-access-token"] = token
        return self.browser.fetch(method, path, headers, None if body is None else stringify(body))

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Reply:
        """intercept(): add the stored token; on a 401 (not signin) handle401Error: refresh, save, retry."""
        reply = self._send(method, path, body, self.storage.get("auth-token"))
        if reply.status != 401 or "auth/signin" in path:
            return reply
        if "auth/refreshtoken" in path:
            raise ClientWouldHang(f"a 401 on the refresh call leaves handle401Error waiting for ever: {reply}")
        refresh_token = self.storage.get("auth-refreshtoken")
        if not refresh_token:
            raise ClientWouldHang("handle401Error without a refresh token waits on refreshTokenSubject for ever")
        refreshed = self.request("POST", "/api/auth/refreshtoken", {"refreshToken": refresh_token})
        self.refreshes += 1
        self.refresh_replies.append(refreshed)
        if refreshed.status != 200:
            self.storage.clear()  # tokenService.signOut()
            return refreshed
        access_token = refreshed.json()["accessToken"]
        assert isinstance(access_token, str) and access_token, f"refresh answer without accessToken: {refreshed}"
        self.storage["auth-token"] = access_token  # saveToken: also updates the stored user's accessToken
        if self.user is not None:
            self.storage["user"] = {**self.user, "accessToken": access_token}
        return self._send(method, path, body, access_token)

    def register(self, username: str, email: str, password: str) -> Reply:
        """AuthService.register."""
        return self.request("POST", "/api/auth/signup", {"username": username, "email": email, "password": password})

    def login(self, username: str, password: str) -> Reply:
        """login.component.ts: saveToken(accessToken), saveRefreshToken(refreshToken), saveUser(data)."""
        reply = self.request("POST", "/api/auth/signin", {"username": username, "password": password})
        if reply.status == 200:
            data = reply.json()
            self.storage.update({"auth-token": data["accessToken"], "auth-refreshtoken": data["refreshToken"],
                                 "user": data})
        return reply

    def board(self, name: str) -> Board:
        """board-*.component.ts shows ``err.error.message || err.error``: the raw text of a board's own error
        (responseType 'text'), the message of a refresh error (JSON); a 403 emits "logout" (storage cleared)."""
        reply = self.request("GET", f"/api/test/{name}")
        if reply.status == 403:
            self.logout()
        if 200 <= reply.status < 300 or reply.path.endswith("/refreshtoken"):
            return Board(reply.status, board_text(reply))
        return Board(reply.status, reply.text)
