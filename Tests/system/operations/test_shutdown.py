"""SIGTERM, as an orchestrator sends it: each process drains, finishes what it holds and exits 0.

The gateway answers a request it holds when the signal comes in full; a service stopped under load
cuts no request off with an error status; the auth service writes the audit event of every signin it
answered before it exits.
"""

from __future__ import annotations

import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import requests

from support.accounts import create_account
from support.processes import ManagedProcess, wait_until
from support.stores import psql
from support.system import System


def _wait_for_log(process: ManagedProcess, text: str, timeout: float = 10.0) -> None:
    """Waits until PROCESS's log mentions TEXT: how a test sees a point it cannot otherwise observe."""
    assert wait_until(lambda: text in process.log_file.read_text(errors="replace"), timeout), (
        f"{process.name} never logged {text!r} within {timeout}s: {process.status_report()}")


def test_a_request_the_gateway_holds_at_sigterm_is_answered_in_full_then_it_exits_0(system: System) -> None:
    user = create_account(system.http)
    body = f'{{"username":"{user.username}","password":"{user.password}"}}'.encode()
    with socket.create_connection(("127.0.0.1", system.gateway_port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        # The gateway answers 100 once it has taken the head: from here the request is in flight, and
        # it cannot finish before the test sends its body.
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = connection.recv(4096)
            assert chunk, f"closed before the interim answer: {interim!r}"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        system.gateway.stopped = True  # stopped on purpose, not a crash
        system.gateway.signal(signal.SIGTERM)
        _wait_for_log(system.gateway, "Gateway draining")
        connection.sendall(body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
    assert b'"accessToken":"' in answer, answer
    system.gateway.popen.wait(timeout=10)
    assert system.gateway.returncode == 0, system.gateway.status_report()


def test_on_sigterm_each_service_exits_0_and_no_request_in_flight_is_cut_off(system: System) -> None:
    user = create_account(system.http)
    url = f"http://127.0.0.1:{system.content_port}/api/test/user"

    def ask(_: int) -> int | None:
        try:
            return requests.get(url, headers={"Authorization": f"Bearer {user.access_token}"}, timeout=20).status_code
        except requests.ConnectionError:
            return None  # refused before it was accepted, which a load balancer retries

    with ThreadPoolExecutor(20) as pool:
        in_flight = pool.map(ask, range(20))
        time.sleep(0.005)
        for process in (system.content, system.gateway, system.auth):
            assert process.stop(grace=10) == 0  # SIGTERM; SIGKILL only after 10 s, process.status_report()
        statuses = list(in_flight)
    assert len(statuses) == 20
    assert all(status == 200 for status in statuses if status is not None), statuses


def test_signins_in_flight_at_sigterm_all_have_their_audit_event_once_the_auth_service_exited(
    make_system: Callable[..., System],
) -> None:
    system = make_system(name="audit-at-shutdown")
    user = create_account(system.http)
    url = f"http://127.0.0.1:{system.auth_port}/api/auth/signin"

    def sign_in(_: int) -> int | None:
        # Straight to the auth service, so the gateway's own shutdown plays no part.
        try:
            return requests.post(url, json={"username": user.username, "password": user.password}, timeout=20).status_code
        except requests.ConnectionError:
            return None

    with ThreadPoolExecutor(24) as pool:
        in_flight = pool.map(sign_in, range(24))
        # The last of them finish while the server drains, moments before the audit writer is told to stop.
        time.sleep(0.15)
        assert system.auth.stop(grace=15) == 0, system.auth.status_report()
        answered = sum(1 for status in in_flight if status == 200)
    assert answered > 0, "no signin was in flight"
    stored = int(psql(system.database_url, "SELECT count(*) FROM auth_audit_events "
                                           f"WHERE type = 'signin_succeeded' AND \"userId\" = {user.id}"))
    # At least: a signin whose answer was lost in the shutdown may have its event too.
    assert stored >= answered + 1, f"the account's own signin and the {answered} answered in flight: {stored}"
