"""Traces across the services, exported over OTLP to a real receiver.

The receiver is compose/images/traces/tracecatcher.py (``POST /v1/traces``, JSON bodies as
``OTEL_EXPORTER_OTLP_PROTOCOL=http/json`` asks), as compose's observability file runs it. One signin
through the gateway is one trace: the gateway's span, the auth service's span as its child, and the
auth service's PostgreSQL and Redis work below that. A trace the client started is continued. No span
carries a token, a password or a search's text. A request the gateway's sample leaves out leaves no
span in any service, even one that would sample every trace it started itself.
"""

from __future__ import annotations

import json
import time
from typing import Iterator

import pytest

from support import config
from support.accounts import admin, create_account, signin
from support.processes import wait_until
from support.system import System
from support.traces import TraceCatcher


@pytest.fixture(scope="module")
def receiver() -> Iterator[TraceCatcher]:
    catcher = TraceCatcher(config.output_dir() / "traces")
    yield catcher
    catcher.stop()


@pytest.fixture(scope="module")
def traced_system(receiver: TraceCatcher) -> Iterator[System]:
    system = System(name="traces", env=receiver.exporting())
    try:
        yield system
        system.assert_no_crash()
    finally:
        system.stop()


def _trace_of(receiver: TraceCatcher, predicate, services: set[str]) -> list[dict]:
    """The spans of the first trace with a span matching PREDICATE once spans of every one of SERVICES are in."""
    found: list[dict] = []

    def arrived() -> bool:
        spans = receiver.spans
        for root in [span for span in spans if predicate(span)]:
            found[:] = [span for span in spans if span["trace"] == root["trace"]]
            if services <= {span["service"] for span in found}:
                return True
        return False

    assert wait_until(arrived, 15, interval=0.1), f"no trace with spans of {services} within 15 s: {receiver.spans[-20:]}"
    return found


def test_one_signin_is_one_trace_from_the_gateway_through_the_auth_service_to_its_stores(
    traced_system: System, receiver: TraceCatcher
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
    text = receiver.text
    for secret in (reply.json()["accessToken"], reply.json()["refreshToken"], account.password):
        assert secret not in text
    assert len(receiver.spans) > before


def test_a_trace_the_client_started_is_continued_and_a_search_text_stays_out(
    traced_system: System, receiver: TraceCatcher
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


def test_a_request_the_gateways_sample_leaves_out_leaves_no_span_in_any_service(receiver: TraceCatcher) -> None:
    # The gateway samples no trace it starts; the services keep the default, parentbased_always_on,
    # which would record every trace they started themselves: they must follow the gateway's "not sampled".
    system = System(name="traces-unsampled", env=receiver.exporting(), gateway_env={
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0",
    })
    try:
        client = system.client()
        account = create_account(client)
        left_out = signin(client, account.username, account.password)
        assert left_out.status == 200, left_out
        left_out_id = left_out.headers["X-Request-Id"]
        # A sampled parent is still followed: its spans arriving shows the exporters work, and that
        # the left-out request's spans (exported no later) would have arrived by then.
        trace_id = "5bf92f3577b34da6a3ce929d0e0e4737"
        followed = client.get("/api/auth/me", headers={**account.headers(), "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        assert followed.status == 200, followed
        _trace_of(receiver, lambda span: span["trace"] == trace_id, {"gateway", "auth-service"})
        assert not [span for span in receiver.spans
                    if span["attributes"].get("http.request.header.x_request_id") in (left_out_id, [left_out_id])]
        system.assert_no_crash()
    finally:
        system.stop()
