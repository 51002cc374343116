"""Fixtures of the OpenAPI suite: the document, and real identities on one System per module.

An ``Identity`` is who a generated request is sent as: ``anonymous`` keeps the token headers
schemathesis generated (junk, so the 401/403 answers get explored), ``user``, ``moderator`` and
``admin`` replace them with a real access token so protected routes are explored beyond 403.
Signout revokes what it is given, so it always gets a fresh session of an account of its own.
The admin's generated user ids never name an account the suite signs in with (the document's own
example is id 2, the first user made here): ``AdminTargets`` swaps such an id for a sacrificial one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from support import accounts
from support.accounts import Account
from support.http import Client
from support.system import System

REPO_ROOT = Path(__file__).resolve().parents[3]
DOCUMENT_PATH = REPO_ROOT / "Sources" / "Gateway" / "Resources" / "openapi.json"
IDENTITY_NAMES = ("anonymous", "user", "moderator", "admin")


def load_document() -> dict:
    """The OpenAPI document as committed (parsed JSON)."""
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


@dataclass
class Identity:
    """Who a request is sent as, and the sessions it may spend.

    ``account`` holds the access token for ordinary requests; ``refresh_session`` is a second session
    of the same account whose refresh token the refresh operation rotates (and keeps up to date);
    ``signout_username`` is a separate account with the same role, signed in afresh for every
    signout (a global signout there ends none of the sessions above).
    """

    name: str
    account: Account | None = None
    refresh_session: Account | None = None
    signout_username: str | None = None
    signout_id: int | None = None
    signout_password: str = accounts.DEFAULT_PASSWORD
    style: str = "x-access-token"
    signouts: int = field(default=0)

    def token_headers(self) -> dict[str, str]:
        """The identity's access-token header (empty for anonymous)."""
        return self.account.headers(self.style) if self.account else {}

    def fresh_signout_headers(self, client: Client) -> dict[str, str]:
        """A new session's access-token header, for one signout call."""
        assert self.signout_username is not None
        self.signouts += 1
        session = accounts.existing_account(client, self.signout_username, self.signout_password)
        return session.headers(self.style)


def _identity(client: Client, name: str, style: str, admin: Account | None, roles: list[str] | None) -> Identity:
    """An account with ROLES (created by ADMIN when privileged), a second session, and a signout account."""
    main = accounts.admin(client) if name == "admin" else accounts.create_account(client, roles=roles, admin=admin)
    refresh_session = accounts.existing_account(client, main.username, main.password)
    signout = accounts.create_account(client, roles=roles, admin=admin)
    return Identity(name=name, account=main, refresh_session=refresh_session, signout_username=signout.username,
                    signout_id=signout.id, signout_password=signout.password, style=style)


@dataclass
class AdminTargets:
    """What an admin's generated request may change: any account but the suite's own.

    Demoting, disabling or deleting the accounts the other identities use would turn the rest of
    their cases into 401s and explore nothing; such an id goes to ``sacrificial`` instead (which the
    fuzzing may delete: its later cases are then 404s, which are documented too).
    """

    protected: frozenset[int]
    sacrificial: int

    def user_id(self, generated: object) -> object:
        """GENERATED unless it names a protected account (as an integer, or as its digits: the
        coverage phase sends path parameters as strings)."""
        named = str(generated) if isinstance(generated, (int, str)) else None
        return self.sacrificial if named in {str(id) for id in self.protected} else generated


@pytest.fixture(scope="module")
def admin_targets(module_system: System, identities: dict[str, Identity]) -> AdminTargets:
    """The suite's account ids, and one account of no use to it."""
    ids = {identity.account.id for identity in identities.values() if identity.account is not None}
    ids |= {identity.signout_id for identity in identities.values() if identity.signout_id is not None}
    return AdminTargets(protected=frozenset(ids), sacrificial=accounts.create_account(module_system.http).id)


@pytest.fixture(scope="module")
def identities(module_system: System) -> dict[str, Identity]:
    """anonymous, user (x-access-token), moderator (Bearer) and admin (the bootstrap admin, x-access-token)."""
    client = module_system.http
    admin = accounts.admin(client)
    return {
        "anonymous": Identity(name="anonymous"),
        "user": _identity(client, "user", "x-access-token", None, None),
        "moderator": _identity(client, "moderator", "bearer", admin, ["moderator"]),
        "admin": _identity(client, "admin", "x-access-token", admin, ["admin"]),
    }


@pytest.fixture(scope="module")
def document() -> Iterator[dict]:
    """The committed OpenAPI document."""
    yield load_document()
