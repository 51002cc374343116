"""Accounts as the suites use them: signup, signin, the bootstrap admin, refresh, session tracking."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Mapping

from .http import Client, Reply
from .system import ADMIN_PASSWORD, ADMIN_USERNAME
from .tally import TALLY

DEFAULT_PASSWORD = "secret-pw"


def unique_name(prefix: str = "u") -> str:
    """A username no other test uses: PREFIX plus 10 hex digits (fits the 3-20 character rule)."""
    return prefix + secrets.token_hex(5)


@dataclass
class Account:
    """A signed-in account: its credentials and the tokens of its current session."""

    id: int
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str
    roles: list[str]

    def headers(self, style: str = "x-access-token") -> dict[str, str]:
        """The access-token header, as the tutorial sends it (``x-access-token``) or as ``bearer``."""
        if style == "bearer":
            return {"Authorization": f"Bearer {self.access_token}"}
        return {"x-access-token": self.access_token}


def signup(client: Client, username: str, password: str = DEFAULT_PASSWORD, email: str | None = None,
           roles: list[str] | None = None, token: str | None = None, check: bool = True) -> Reply:
    """POST /api/auth/signup with a JSON body (email defaults to USERNAME@example.com)."""
    body: dict[str, object] = {"username": username, "email": email or f"{username}@example.com",
                               "password": password}
    if roles is not None:
        body["roles"] = roles
    headers = {"x-access-token": token} if token else {}
    return client.post("/api/auth/signup", json=body, headers=headers, check=check)


def signin(client: Client, username: str, password: str = DEFAULT_PASSWORD, check: bool = True,
           headers: Mapping[str, str] | None = None) -> Reply:
    """POST /api/auth/signin with a JSON body (and HEADERS, e.g. another device's User-Agent)."""
    return client.post("/api/auth/signin", json={"username": username, "password": password}, headers=headers,
                       check=check)


def refresh(client: Client, refresh_token: str, check: bool = True) -> Reply:
    """POST /api/auth/refreshtoken with {"refreshToken": ...}."""
    return client.post("/api/auth/refreshtoken", json={"refreshToken": refresh_token}, check=check)


def account_from_signin(reply: Reply, password: str) -> Account:
    """The Account in a 200 signin answer; AssertionError naming the answer otherwise."""
    assert reply.status == 200, f"signin failed: {reply}"
    body = reply.json()
    return Account(id=body["id"], username=body["username"], email=body["email"], password=password,
                   access_token=body["accessToken"], refresh_token=body["refreshToken"], roles=body["roles"])


def existing_account(client: Client, username: str, password: str = DEFAULT_PASSWORD,
                     headers: Mapping[str, str] | None = None) -> Account:
    """Signs in an existing account (a new session; HEADERS as in ``signin``); fails on any answer but 200."""
    return account_from_signin(signin(client, username, password, headers=headers), password)


def create_account(client: Client, username: str | None = None, password: str = DEFAULT_PASSWORD,
                   roles: list[str] | None = None, admin: Account | None = None) -> Account:
    """Signs up (as ADMIN when given, for privileged roles) and signs in; fails on any other answer."""
    name = username or unique_name()
    reply = signup(client, name, password, roles=roles, token=admin.access_token if admin else None)
    assert reply.status == 200, f"signup of {name!r} failed: {reply}"
    return existing_account(client, name, password)


def admin(client: Client) -> Account:
    """The bootstrap admin (``rootadmin``), signed in."""
    return existing_account(client, ADMIN_USERNAME, ADMIN_PASSWORD)


def create_admin(client: Client) -> Account:
    """A new admin of its own, made by the bootstrap admin and signed in: for tests that act as an admin
    (or lock, demote, disable one) without touching ``rootadmin``, whom other tests sign in as."""
    return create_account(client, roles=["admin"], admin=admin(client))


class SessionTracker:
    """Sessions that must survive a batch; ``verify`` proves each still refreshes and counts the lost.

    A session is alive when its refresh token rotates (200) and the new access token opens
    /api/test/user; the tracker then keeps the new tokens.
    """

    def __init__(self) -> None:
        self.accounts: list[Account] = []

    def track(self, account: Account) -> Account:
        """Adds ACCOUNT's session; returns it."""
        self.accounts.append(account)
        return account

    def lost(self, client: Client) -> list[str]:
        """Refreshes every tracked session; returns a description of each one lost (and tallies it)."""
        lost = []
        for account in self.accounts:
            reply = refresh(client, account.refresh_token, check=False)
            if reply.status == 200:
                tokens = reply.json()
                account.access_token, account.refresh_token = tokens["accessToken"], tokens["refreshToken"]
                probe = client.get("/api/test/user", headers=account.headers(), check=False)
                if probe.status == 200:
                    continue
                reply = probe
            lost.append(f"{account.username}: {reply}")
            TALLY.add("lost_sessions", example=f"{account.username}: {reply}")
        return lost

    def assert_none_lost(self, client: Client) -> None:
        """Fails naming every session that no longer works."""
        lost = self.lost(client)
        assert not lost, f"{len(lost)} of {len(self.accounts)} session(s) lost: " + "; ".join(lost)
