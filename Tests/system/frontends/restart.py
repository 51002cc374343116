"""Restarting one service of a running ``System`` with a changed environment (the harness starts them once).

Used to run the gateway with a variable *unset* (the harness always sets ``CORS_ALLOWED_ORIGINS``; the
frontends suite needs the default) and, in the keys suite, to restart the auth service with new keys
while the gateway and the content service keep running, as a rolling restart would.
"""

from __future__ import annotations

import time
from typing import Iterable, Mapping

import requests

from support.processes import ManagedProcess
from support.system import READY_TIMEOUT, System, SystemFailure


def _port_of(system: System, process: ManagedProcess) -> int:
    if process is system.auth:
        return system.auth_port
    if process is system.content:
        return system.content_port
    return system.gateway_ports[system.gateways.index(process)]


def environment_of(system: System, process: ManagedProcess) -> dict[str, str]:
    """The environment PROCESS runs with: the System's, with a gateway's own ports, or what restart() gave it."""
    given = getattr(process, "environment", None)
    if given is not None:
        return dict(given)
    env = dict(system.env)
    if process in system.gateways:
        env["GATEWAY_PORT"] = str(_port_of(system, process))
        env["GATEWAY_METRICS_PORT"] = str(system.metrics_ports[process.name])
    return env


def wait_ready(system: System, process: ManagedProcess, timeout: float = READY_TIMEOUT) -> None:
    """Waits until PROCESS answers 200 on /health/ready; SystemFailure with its log if it exits or never does."""
    url = f"http://127.0.0.1:{_port_of(system, process)}/health/ready"
    deadline = time.monotonic() + timeout
    while True:
        if not process.running:
            raise SystemFailure(f"{process.name} exited during start: {process.status_report()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() >= deadline:
            raise SystemFailure(f"{process.name} not ready within {timeout:.0f}s: {process.status_report()}")
        time.sleep(0.05)


def start_replacement(system: System, process: ManagedProcess, env: Mapping[str, str]) -> ManagedProcess:
    """Starts a new PROCESS (same program, ports and log file) with ENV and puts it in the System's place."""
    replacement = ManagedProcess(process.name, process.argv, env, process.log_file)
    replacement.environment = dict(env)  # type: ignore[attr-defined]  # read back by environment_of()
    if process is system.auth:
        system.auth = replacement
    elif process is system.content:
        system.content = replacement
    else:
        system.gateways[system.gateways.index(process)] = replacement
    return replacement


def restart(system: System, process: ManagedProcess, env: Mapping[str, str] | None = None,
            unset: Iterable[str] = (), wait: bool = True) -> ManagedProcess:
    """Stops PROCESS (SIGTERM) and starts it again with ENV merged into its environment and UNSET removed.

    Returns the new process, which has taken the old one's place in SYSTEM (so ``system.stop()`` and the
    crash checks see it); when WAIT, returns once it answers /health/ready.
    """
    new_env = environment_of(system, process)
    new_env.update(env or {})
    for name in unset:
        new_env.pop(name, None)
    status = process.stop(grace=10)
    if status not in (0, None):
        raise SystemFailure(f"{process.name} did not stop cleanly for its restart: {process.status_report()}")
    replacement = start_replacement(system, process, new_env)
    if wait:
        try:
            wait_ready(system, replacement)
        except SystemFailure:
            code = replacement.returncode
            if code is not None and code > 0:
                replacement.stopped = True  # it refused to start (the failure says why): not a crash
            raise
    return replacement
