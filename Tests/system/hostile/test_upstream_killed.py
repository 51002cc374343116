"""A service killed under load (SIGKILL, as a lost node): the gateway stays up and keeps answering.

An earlier try at writing upstream requests as bytes made the gateway itself go away in compose's
replica-kill run; this is that run without containers. Clients keep asking through the gateway while
the content service is killed mid-load and started again: every answer is a 200 or the documented
503 (within 5 s while it is down, when signin through the same gateway still works), no connection
to the gateway is refused or reset, and once the service is back every answer is a 200 again.
"""

from __future__ import annotations

import signal
import threading
import time

from frontends.restart import environment_of, start_replacement, wait_ready
from support.accounts import create_account, signin
from support.http import Client
from support.system import System
from support.tally import TALLY

CLIENTS = 8


def test_a_service_killed_under_load_costs_503s_only_and_the_gateway_stays_up(hostile_system: System) -> None:
    system = hostile_system
    user = create_account(system.http)
    stop = threading.Event()
    seen: dict[int, int] = {}
    broken: list[str] = []
    lock = threading.Lock()

    def load() -> None:
        client = Client(system.gateway_url(), timeout=(2.0, 10.0))
        while not stop.is_set():
            try:
                reply = client.get("/api/test/user", headers=user.headers(), check=False)
            except Exception as error:  # a refused or reset connection to the gateway itself
                with lock:
                    broken.append(f"{type(error).__name__}: {error}")
                continue
            with lock:
                seen[reply.status] = seen.get(reply.status, 0) + 1
                if reply.status not in (200, 503) or (reply.status == 503 and reply.message != "Service temporarily unavailable"):
                    broken.append(str(reply))
        client.close()

    threads = [threading.Thread(target=load, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        env = environment_of(system, system.content)
        system.content.signal(signal.SIGKILL)
        system.content.popen.wait(5)
        system.content.stopped = True  # killed on purpose, not a crash
        # While it is down: a quick documented 503 for its routes, and the auth service's routes work on.
        probe = system.client()
        down = probe.get("/api/test/user", headers=user.headers(), check=False)
        assert down.status == 503 and down.message == "Service temporarily unavailable", down
        assert down.elapsed < 5.0, f"the 503 took {down.elapsed:.2f}s"
        assert signin(probe, user.username, user.password).status == 200
        time.sleep(1.0)
        replacement = start_replacement(system, system.content, env)
        wait_ready(system, replacement)
        time.sleep(1.0)
        with lock:
            seen.clear()
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    TALLY.add("cases")
    assert system.gateway.running, f"the gateway went away: {system.gateway.status_report()}"
    assert not broken, f"{len(broken)} answers were neither 200 nor the documented 503: {broken[:5]}"
    assert seen.get(200, 0) > 0 and set(seen) == {200}, f"after the service came back: {seen}"
    system.assert_all_live()
