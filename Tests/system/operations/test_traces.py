"""Traces across the services, exported over OTLP to a real receiver.

The receiver is the harness's own OTLP/HTTP endpoint (``POST /v1/traces``, JSON bodies as
``OTEL_EXPORTER_OTLP_PROTOCOL=http/json`` asks), decoding what the gateway and the services export.
One signin through the gateway is one trace: the gateway's span, the auth service's span as its child,
and the auth service's PostgreSQL and Redis work below that. A trace the client started is continued.
No span carries a token, a password or a search's text.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from support import ports
from support.accounts import admin, create_account, signin
from support.processes import wait_until
from support.system import System


class OTLPReceiver:
    """An OTLP/HTTP trace endpoint on a free port; ``spans`` holds every span received, flattened."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.bodies: list[bytes] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    receiver.bodies.append(body)
                    receiver.spans.extend(_flatten(json.loads(body)) if self.path == "/v1/traces" else [])
                answer = b"{}"
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.port = ports.free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _identifier(value: str) -> str:
    """A trace or span id as hex: OTLP/JSON writes hex, a plain protobuf JSON mapping base64."""
    if value and all(c in "0123456789abcdefABCDEF" for c in value) and len(value) in (16, 32):
        return value.lower()
    return base64.b64decode(value).hex() if value else ""


def _value(attribute: dict) -> object:
    value = attribute.get("value", {})
    for kind in ("stringValue", "intValue", "boolValue", "doubleValue"):
        if kind in value:
            return int(value[kind]) if kind == "intValue" else value[kind]
    return value


def _flatten(document: dict) -> list[dict]:
    spans = []
    for resource_spans in document.get("resourceSpans", []):
        resource = {a["key"]: _value(a) for a in resource_spans.get("resource", {}).get("attributes", [])}
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                spans.append({
                    "service": resource.get("service.name"),
                    "name": span.get("name"),
                    "trace": _identifier(span.get("traceId", "")),
                    "id": _identifier(span.get("spanId", "")),
                    "parent": _identifier(span.get("parentSpanId", "")),
                    "attributes": {a["key"]: _value(a) for a in span.get("attributes", [])},
                })
    return spans


@pytest.fixture(scope="module")
def receiver() -> Iterator[OTLPReceiver]:
    receiver = OTLPReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def traced_system(receiver: OTLPReceiver) -> Iterator[System]:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
        # Batches sent every 100 ms instead of every 5 s: the test waits for them.
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    system = System(name="traces", env=env)
    try:
        yield system
        system.assert_no_crash()
    finally:
        system.stop()


def _trace_of(receiver: OTLPReceiver, predicate, services: set[str]) -> list[dict]:
    """The spans of the first trace with a span matching PREDICATE once spans of every one of SERVICES are in."""
    found: list[dict] = []

    def arrived() -> bool:
        roots = [span for span in list(receiver.spans) if predicate(span)]
        for root in roots:
            found[:] = [span for span in list(receiver.spans) if span["trace"] == root["trace"]]
            if services <= {span["service"] for span in found}:
                return True
        return False

    assert wait_until(arrived, 15, interval=0.1), f"no trace with spans of {services} within 15 s: {receiver.spans[-20:]}"
    return found


def test_one_signin_is_one_trace_from_the_gateway_through_the_auth_service_to_its_stores(
    traced_system: System, receiver: OTLPReceiver
) -> None:
    client = traced_system.client()
    account = create_account(client)
    before = len(receiver.spans)
    reply = signin(client, account.username, account.password)
    assert reply.status == 200, reply
    request_id = reply.headers["X-Request-Id"]

    spans = _trace_of(
        receiver,
        lambda span: span["service"] == "auth-service" and span["attributes"].get("http.request.header.x_request_id") in (
            request_id, [request_id]),
        {"gateway", "auth-service"},
    )
    gateway = [span for span in spans if span["service"] == "gateway"]
    assert len(gateway) == 1, gateway
    gateway_span = gateway[0]
    assert gateway_span["name"] == "POST /api/auth/signin" and gateway_span["parent"] == "", gateway_span
    assert gateway_span["attributes"]["http.route"] == "/api/auth/signin"
    assert gateway_span["attributes"]["http.response.status_code"] == 200
    assert gateway_span["attributes"]["gateway.check"] == "public"

    auth = [span for span in spans if span["service"] == "auth-service"]
    server = [span for span in auth if span["parent"] == gateway_span["id"]]
    assert len(server) == 1, f"the auth service's span is not the gateway span's child: {auth}"
    server_span = server[0]
    assert server_span["attributes"].get("http.route") == "/api/auth/signin", server_span
    stores = [span for span in auth if span["parent"] == server_span["id"]]
    names = {span["name"].split(" ")[0] for span in stores}
    assert {"db", "redis"} <= names, f"no PostgreSQL and Redis spans under the auth service's: {stores}"

    # Nothing secret in any span of the run so far: no token, no password.
    text = b"".join(receiver.bodies).decode("utf-8", errors="replace")
    for secret in (reply.json()["accessToken"], reply.json()["refreshToken"], account.password):
        assert secret not in text
    assert len(receiver.spans) > before


def test_a_trace_the_client_started_is_continued_and_a_search_text_stays_out(
    traced_system: System, receiver: OTLPReceiver
) -> None:
    client = traced_system.client()
    root = admin(client)
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    secret_text = "needle" + str(int(time.time() * 1000))
    reply = client.get("/api/admin/users", params={"q": secret_text},
                       headers={**root.headers(), "traceparent": f"00-{trace_id}-{parent_id}-01"})
    assert reply.status == 200, reply

    spans = _trace_of(receiver, lambda span: span["trace"] == trace_id, {"gateway", "auth-service"})
    gateway = next(span for span in spans if span["service"] == "gateway")
    assert gateway["parent"] == parent_id and gateway["name"] == "GET /api/admin/users", gateway
    assert gateway["attributes"]["gateway.check"] == "token_accepted", gateway
    server = next(span for span in spans if span["service"] == "auth-service" and span["parent"] == gateway["id"])
    assert server["attributes"].get("http.route") == "/api/admin/users", server
    assert secret_text not in json.dumps(spans), spans
