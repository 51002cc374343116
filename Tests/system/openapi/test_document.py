"""The OpenAPI document itself: valid 3.1, shaped by the house rules, in step with the gateway.

The first tests read only the file. The last ones ask the running gateway: it serves this very file,
answers every documented operation, and refuses the undocumented methods of a documented path with 405.
"""

from __future__ import annotations

import json
from typing import Iterator

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from support.system import System

from .conftest import DOCUMENT_PATH
from .routes import document_routes, source_routes

HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete")
TOKEN_SCHEMES = [{"accessTokenHeader": []}, {"bearerAuth": []}, {"sessionCookie": []}]
#: Per client address (signup, signin, refresh), or per account: a password change's wrong current
#: password counts in the signin back-off.
RATE_LIMITED = {("/api/auth/signup", "post"), ("/api/auth/signin", "post"), ("/api/auth/refreshtoken", "post"),
                ("/api/auth/password", "post"), ("/api/auth/password/forgot", "post"), ("/api/auth/password/reset", "post"),
                ("/api/auth/email", "post"), ("/api/auth/email/verify", "post"), ("/api/auth/email/verify/resend", "post"),
                ("/api/admin/users/{id}/password-reset", "post")}
#: Readiness answers its own body when not ready: operators' probes read `checks`, not a message.
NOT_A_MESSAGE = {("/health/ready", "503")}
#: A real value for each path parameter, so every documented operation can be called for real.
PATH_EXAMPLES = {
    "/web/{file}": "/web/app.js",
    "/api/auth/sessions/{id}": "/api/auth/sessions/q0pN6pQ2x7y1u9KkV3Yc1Q",
    **{path: path.replace("{id}", "1") for path in (
        "/api/admin/users/{id}", "/api/admin/users/{id}/roles", "/api/admin/users/{id}/disable", "/api/admin/users/{id}/enable",
        "/api/admin/users/{id}/sessions", "/api/admin/users/{id}/lockout",
    )},
}


def operations(document: dict) -> Iterator[tuple[str, str, dict]]:
    """(path, method, operation) of every operation in DOCUMENT."""
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(document: dict, node: dict) -> dict:
    """NODE with a local ``$ref`` followed (transitively)."""
    while "$ref" in node:
        target: object = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]  # type: ignore[index]
        node = target  # type: ignore[assignment]
    return node


def requires_message(document: dict, schema: dict) -> bool:
    """True when SCHEMA (after refs and allOf) demands a string ``message``."""
    schema = resolve(document, schema)
    if "message" in schema.get("required", []) and resolve(document, schema["properties"]["message"]).get("type") in (
        "string", None
    ):
        return True
    return any(requires_message(document, part) for part in schema.get("allOf", []))


def test_document_is_valid_openapi_3_1(document: dict) -> None:
    """openapi-spec-validator accepts the file as OpenAPI 3.1 and it says it is 3.1."""
    assert document["openapi"].startswith("3.1."), document["openapi"]
    try:
        validate(document)
    except OpenAPIValidationError as error:  # pragma: no cover - the message is the point
        pytest.fail(f"{DOCUMENT_PATH} is not valid OpenAPI 3.1: {error}")


def test_operation_ids_are_unique(document: dict) -> None:
    """Every operation has an operationId and no two share one (client generators need that)."""
    ids = [operation.get("operationId") for _, _, operation in operations(document)]
    assert None not in ids, "an operation has no operationId"
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_response_documents_the_request_id(document: dict) -> None:
    """Every response of every operation lists the required ``X-Request-Id`` header."""
    missing = []
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            headers = resolve(document, response).get("headers", {})
            header = resolve(document, headers["X-Request-Id"]) if "X-Request-Id" in headers else {}
            if header.get("required") is not True:
                missing.append(f"{method.upper()} {path} {status}")
    assert not missing, f"no required X-Request-Id: {missing}"


def test_every_error_is_a_json_message(document: dict) -> None:
    """Every 4xx/5xx response is ``application/json`` only, with a schema that requires a string message.

    The one exception is the readiness probe's 503, which carries the health body.
    """
    wrong = []
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (path, status) in NOT_A_MESSAGE:
                continue
            content = resolve(document, response).get("content", {})
            if list(content) != ["application/json"] or not requires_message(document, content["application/json"]["schema"]):
                wrong.append(f"{method.upper()} {path} {status}")
    assert not wrong, f"errors that are not a JSON message: {wrong}"


def test_protected_operations_take_both_token_headers(document: dict) -> None:
    """An operation that needs a token accepts ``x-access-token``, ``Bearer`` and the session cookie
    (``SESSION_COOKIES``), and documents 401 and 403."""
    schemes = document["components"]["securitySchemes"]
    assert (schemes["sessionCookie"]["type"], schemes["sessionCookie"]["in"]) == ("apiKey", "cookie")
    assert schemes["accessTokenHeader"] == {**schemes["accessTokenHeader"], "type": "apiKey", "in": "header",
                                            "name": "x-access-token"}
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    protected = 0
    for path, method, operation in operations(document):
        security = operation.get("security", document.get("security", []))
        if not security or {} in security:
            continue
        protected += 1
        assert security == TOKEN_SCHEMES, f"{method.upper()} {path}: security {security}"
        assert {"401", "403"} <= set(operation["responses"]), f"{method.upper()} {path} lacks 401/403"
    assert protected >= 27, f"only {protected} protected operations: the boards, signout, the account and admin routes at least"


def test_rate_limited_operations_document_retry_after(document: dict) -> None:
    """Signup, signin, refresh, the password change and the mail routes list 429 with a required ``Retry-After``; nothing else does."""
    for path, method, operation in operations(document):
        if (path, method) in RATE_LIMITED:
            response = resolve(document, operation["responses"]["429"])
            assert resolve(document, response["headers"]["Retry-After"])["required"] is True, f"{path}"
        else:
            assert "429" not in operation["responses"], f"{method.upper()} {path} is not rate-limited"


def test_head_is_documented_wherever_get_is(document: dict) -> None:
    """HEAD mirrors GET on every path: same responses (the gateway serves HEAD for every GET route)."""
    for path, item in document["paths"].items():
        if "get" in item:
            assert "head" in item, f"HEAD {path} is not documented"
            assert item["head"]["responses"] == item["get"]["responses"], f"HEAD {path} differs from GET"


def test_document_and_route_table_agree(document: dict) -> None:
    """Every route the gateway's sources declare has an operation, and every operation has a route."""
    declared = source_routes()
    assert len(declared) >= 10, (
        f"found only {sorted(declared)} in the gateway's sources: the route table's format changed, "
        "update Tests/system/openapi/routes.py"
    )
    documented = document_routes(document)
    assert not declared - documented, f"routes without an operation: {sorted(declared - documented)}"
    assert not documented - declared, f"operations without a route: {sorted(documented - declared)}"


# ------------------------------------------------------------------- against the gateway


def test_gateway_serves_this_document(module_system: System) -> None:
    """GET /api/openapi.json is public and answers exactly the committed file as application/json."""
    reply = module_system.http.get("/api/openapi.json", headers={"Accept": "application/json"})
    assert reply.status == 200, str(reply)
    assert reply.headers.get("Content-Type", "").split(";")[0].strip() == "application/json", reply.headers
    assert reply.json() == json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def test_every_documented_operation_is_routed(module_system: System, document: dict) -> None:
    """Each documented path and method reaches a route: never the gateway's 404 for unknown paths or a 405."""
    unrouted = []
    for path, method, _ in operations(document):
        target = PATH_EXAMPLES.get(path, path)
        body = b"{}" if method == "post" else None
        reply = module_system.http.request(method.upper(), target, data=body,
                                           headers={"Content-Type": "application/json"} if body else {})
        if reply.status in (404, 405):
            unrouted.append(f"{method.upper()} {target} -> {reply.status} {reply.message!r}")
    assert not unrouted, f"documented but not routed: {unrouted}"


def test_undocumented_methods_are_refused_with_405(module_system: System, document: dict) -> None:
    """On a documented path every other method gets 405 JSON whose ``Allow`` lists the documented ones."""
    wrong = []
    for path, item in document["paths"].items():
        target = PATH_EXAMPLES.get(path, path)
        allowed = {method.upper() for method in HTTP_METHODS if method in item}
        for method in HTTP_METHODS:
            if method in item:
                continue
            reply = module_system.http.request(method.upper(), target)
            advertised = {part.strip().upper() for part in reply.headers.get("Allow", "").split(",") if part.strip()}
            if reply.status != 405 or advertised != allowed:
                wrong.append(f"{method.upper()} {target} -> {reply.status} Allow={reply.headers.get('Allow')!r}")
    assert not wrong, f"want 405 with Allow listing the documented methods: {wrong}"
