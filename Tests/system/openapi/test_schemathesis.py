"""Every operation of the OpenAPI document, run through the gateway with generated inputs.

schemathesis draws requests from the document (valid ones and deliberately invalid ones, JSON and
form-encoded bodies, query parameters, token headers) and each answer must keep the document: no 5xx
(the stores are healthy, so not even the fail-closed 503), a status the operation lists, a body that
matches the schema of that status, the documented content type and the documented headers
(``X-Request-Id`` everywhere, ``Retry-After`` on 429). Each operation runs as four identities
(see conftest.py): anonymous with generated junk tokens, and a real user, moderator and admin, so the
protected routes are explored past their 403s.

Bounded and repeatable: a fixed number of examples per operation and identity, a fixed seed, hypothesis
derandomized and without an example database.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.checks import ResponseViolation, check_response
from support.system import System

from .conftest import DOCUMENT_PATH, IDENTITY_NAMES, AdminTargets, Identity

#: Examples per operation and identity (plus the document's own examples and coverage cases).
MAX_EXAMPLES = 20
SEED = 20261201

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "request-timeout": 20,
    }
)
schema = schemathesis.openapi.from_path(DOCUMENT_PATH, config=CONFIG)

TOKEN_HEADERS = ("x-access-token", "authorization")


@pytest.fixture(scope="module")
def http_session() -> Iterator[requests.Session]:
    """One connection pool for the generated requests; never a proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


@schemathesis.deserializer("text/plain", "text/html")
def _text(_context: schemathesis.DeserializationContext, response: schemathesis.Response) -> str:
    """Text bodies (the boards' ``User Content.``, the page) are validated as strings."""
    return response.content.decode("utf-8")


def _send_as(case: schemathesis.Case, identity: Identity, system: System, targets: AdminTargets) -> None:
    """Puts IDENTITY's real credentials into CASE (anonymous keeps the generated ones); an admin's
    user id never names one of the suite's own accounts."""
    if identity.account is None:
        return
    if identity.name == "admin" and case.path_parameters and "id" in case.path_parameters \
            and case.operation.path.startswith("/api/admin/users/"):
        case.path_parameters["id"] = targets.user_id(case.path_parameters["id"])
    for name in [key for key in case.headers if key.lower() in TOKEN_HEADERS]:
        del case.headers[name]
    if case.operation.path == "/api/auth/signout":
        case.headers.update(identity.fresh_signout_headers(system.http))
    else:
        case.headers.update(identity.token_headers())
    if case.operation.path == "/api/auth/refreshtoken" and isinstance(case.body, dict) \
            and isinstance(case.body.get("refreshToken"), str) and identity.refresh_session is not None:
        case.body["refreshToken"] = identity.refresh_session.refresh_token


def _keep_rotated_tokens(case: schemathesis.Case, response: schemathesis.Response, identity: Identity) -> None:
    """A refresh that succeeded spent the token it was given: keep the new one for the next call."""
    if case.operation.path == "/api/auth/refreshtoken" and response.status_code == 200 and identity.refresh_session:
        body = response.json()
        identity.refresh_session.access_token = body["accessToken"]
        identity.refresh_session.refresh_token = body["refreshToken"]


@pytest.mark.parametrize("identity_name", IDENTITY_NAMES)
@schema.parametrize()
def test_operation_keeps_the_document(
    case: schemathesis.Case,
    identity_name: str,
    identities: dict[str, Identity],
    admin_targets: AdminTargets,
    module_system: System,
    http_session: requests.Session,
) -> None:
    """Generated requests of one operation, sent as one identity, all get documented answers."""
    identity = identities[identity_name]
    _send_as(case, identity, module_system, admin_targets)
    response = case.call(base_url=module_system.gateway_url(), session=http_session, timeout=20)
    _keep_rotated_tokens(case, response, identity)
    try:
        case.validate_response(response, checks=CHECKS)
    except BaseException:
        with contextlib.suppress(ResponseViolation):  # schemathesis said it better; the tally still counts it
            check_response(case.method, case.formatted_path, response.status_code, response.content)
        raise
    check_response(case.method, case.formatted_path, response.status_code, response.content)
    module_system.assert_no_crash()


def test_the_admin_fuzzing_left_the_suites_accounts_alone(
    identities: dict[str, Identity], admin_targets: AdminTargets, module_system: System
) -> None:
    """After every operation ran as admin, each identity's account still exists with its roles and
    can sign in, so no identity's cases were reduced to 401s by an admin deleting or demoting it."""
    admin = identities["admin"].account
    assert admin is not None
    for identity in identities.values():
        if identity.account is None:
            continue
        profile = module_system.http.get(f"/api/admin/users/{identity.account.id}", headers=admin.headers())
        assert profile.status == 200, f"{identity.name}: {profile}"
        user = profile.json()
        assert not user["disabled"], f"{identity.name} was disabled"
        assert sorted(user["roles"]) == sorted(identity.account.roles), identity.name
