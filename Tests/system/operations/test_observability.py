"""Health, metrics and logs of the three processes, as the operator's tools read them.

Each process answers /health/live and /health/ready on its own port; Prometheus metrics count
requests and auth events on the metrics ports and never on the public one; the logs are JSON lines
that carry the request id from the gateway to the service behind it, and hold no password, token or
hash. One System for the module, as nothing here changes it.
"""

from __future__ import annotations

import json
import secrets
import time

import requests

from support.accounts import create_account, signin
from support.system import System


def test_every_process_answers_live_and_ready_with_its_checks(module_system: System) -> None:
    system = module_system
    for port in (system.gateway_port, system.auth_port, system.content_port):
        live = requests.get(f"http://127.0.0.1:{port}/health/live", timeout=5)
        assert live.status_code == 200, (port, live.text)
        ready = requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=5)
        assert ready.status_code == 200, (port, ready.text)
        assert ready.json()["status"] == "ok", (port, ready.text)


def test_metrics_count_requests_and_auth_events_on_the_metrics_port_never_on_the_public_one(module_system: System) -> None:
    system = module_system
    client = system.http
    user = create_account(client)
    assert signin(client, user.username, "wrong-password", check=False).status == 401
    assert client.get("/api/test/user", headers={"x-access-token": "garbage"}).status == 401

    auth = requests.get(f"http://127.0.0.1:{system.metrics_ports['auth']}/metrics", timeout=5)
    assert auth.status_code == 200
    for name in ('auth_signins_total{outcome="ok"}', 'auth_signins_total{outcome="failed"}', "hb_requests"):
        assert name in auth.text, f"{name} missing from the auth service's metrics"
    gateway = system.metrics("gateway")
    assert "auth_access_tokens_refused_total" in gateway
    assert 'http_server_request_duration_bucket{http_route="/api/test/user"' in gateway
    content = requests.get(f"http://127.0.0.1:{system.metrics_ports['content']}/metrics", timeout=5)
    assert content.status_code == 200
    assert client.get("/metrics").status == 404


def test_logs_are_json_lines_carrying_the_request_id_across_processes_and_no_secret(module_system: System) -> None:
    system = module_system
    password = "log-probe-" + secrets.token_hex(8)
    user = create_account(system.http, password=password)
    request_id = "probe-" + secrets.token_hex(8)
    reply = system.http.get("/api/test/user", headers={"x-access-token": user.access_token, "X-Request-Id": request_id})
    assert reply.status == 200, reply
    time.sleep(0.2)

    for process in (system.gateway, system.content):
        lines = process.log_file.read_text(errors="replace").splitlines()
        assert lines, f"{process.name} logged nothing"
        for line in lines:
            assert "level" in json.loads(line), f"not a JSON log line of {process.name}: {line}"
        assert any(request_id in line and '"status":"200"' in line for line in lines), (
            f"{process.name} has no request line for {request_id}")
    for process in (system.gateway, system.auth, system.content):
        text = process.log_file.read_text(errors="replace")
        assert password not in text, f"{process.name} logged a password"
        assert user.access_token not in text, f"{process.name} logged an access token"
        assert user.refresh_token not in text, f"{process.name} logged a refresh token"
        assert "$argon2id$" not in text, f"{process.name} logged a hash"
