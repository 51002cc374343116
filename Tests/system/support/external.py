"""``ExternalGateway``: a system somebody else runs (the compose stack), reached at SYSTEM_TEST_GATEWAY_URL.

It offers what the contract suites ask of a ``System``: ``client()``, ``assert_all_live()``,
``assert_no_crash()`` and ``stop()``, all through the gateway. Nothing that needs the processes
themselves (their logs, environment, restarts, faults): those tests run against local Systems only, and
``support.fixtures`` deselects them in this mode. The bootstrap admin is ``rootadmin`` with the password
in SYSTEM_TEST_ADMIN_PASSWORD (``support.system`` reads it).

    SYSTEM_TEST_GATEWAY_URL=http://127.0.0.1:8080 SYSTEM_TEST_ADMIN_PASSWORD=... make system-test
"""

from __future__ import annotations

import requests

from .http import Client
from .system import SystemFailure


class ExternalGateway:
    """The gateway at ``url``; its services and stores are out of reach."""

    def __init__(self, url: str, name: str = "external") -> None:
        self.url = url.rstrip("/")
        self.name = name
        self._clients: list[Client] = []
        self.assert_all_live()

    def client(self, timeout: tuple[float, float] | None = None) -> Client:
        """A new Client for the gateway (one per thread); closed by stop()."""
        client = Client(self.url, **({"timeout": timeout} if timeout else {}))
        self._clients.append(client)
        return client

    def assert_all_live(self, timeout: float = 5.0) -> None:
        """The gateway answers 200 on /health/ready: it and the services behind it are up."""
        try:
            status = requests.get(f"{self.url}/health/ready", timeout=timeout).status_code
        except requests.RequestException as error:
            raise SystemFailure(f"the gateway at {self.url} does not answer: {error}") from error
        if status != 200:
            raise SystemFailure(f"the gateway at {self.url} answered {status} on /health/ready")

    def assert_no_crash(self) -> None:
        """All that can be seen from outside: the gateway still answers and is ready."""
        self.assert_all_live()

    def stop(self) -> None:
        """Closes the clients; the system itself is its owner's to stop."""
        for client in self._clients:
            client.close()
