"""``System``: the real AuthService, ContentService and N Gateway replicas, wired like production.

The services get the environment below (JSON logs, metrics ports of their own, the bootstrap admin
``rootadmin``, CORS origins, rate limits high enough for test traffic), merged with ``env`` from the
test, so a test can set its own rate limits or timeouts.
Each System gets a fresh database on TEST_DATABASE_URL unless given ``database_url``, and uses
TEST_REDIS_URL unless given ``redis_url`` (fault tests pass a PrivateRedis / PrivatePostgres).
Rate-limit counters live in Redis and are keyed by client address: a test that lowers a rate limit
should bring its own Redis, or it shares counters with every other System on the shared one.

    with System(env={"CLIENT_BODY_TIMEOUT": "1"}, gateways=2) as system:
        reply = system.http.get("/api/test/all")
        system.assert_all_live()
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import Mapping

import requests

from . import config, ports, stores
from .http import Client
from .mail import MailCatcher
from .processes import ManagedProcess
from .tally import TALLY

ADMIN_USERNAME = "rootadmin"
ADMIN_EMAIL = "rootadmin@example.com"
#: One random password per run: never a secret in the source. Against an external gateway
#: (support.external), the password its bootstrap admin was given.
ADMIN_PASSWORD = os.environ.get("SYSTEM_TEST_ADMIN_PASSWORD") or "admin-" + secrets.token_hex(12)
CORS_ORIGINS = "http://localhost:8081,https://app.example.com"
READY_TIMEOUT = 60.0


class SystemFailure(AssertionError):
    """A service crashed, did not get ready, or does not answer /health/live."""


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120] or "system"


class System:
    """The three services on free ports of SYSTEM_TEST_PORTS; start on construction, stop() always.

    Attributes: ``auth``, ``content`` and ``gateways`` (ManagedProcess), ``gateway_ports``,
    ``auth_port``, ``content_port``, ``metrics_ports`` (name -> port), ``database_url``, ``redis_url``,
    ``env`` (what the services got; `gateway_env` adds to it for the gateways), ``log_dir``.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        gateways: int = 1,
        database_url: str | None = None,
        redis_url: str | None = None,
        name: str = "system",
        mail: bool | MailCatcher = False,
        gateway_env: Mapping[str, str] | None = None,
    ) -> None:
        if gateways < 1:
            raise ValueError("a System needs at least one gateway")
        environment = config.Environment.load()
        self.name = name
        self.log_dir = config.output_dir() / "systems" / f"{_safe_name(name)}-{secrets.token_hex(3)}"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or stores.create_database(environment.database_url)
        self.redis_url = redis_url or environment.redis_url
        self.auth_port = ports.free_port()
        self.content_port = ports.free_port()
        self.gateway_ports = [ports.free_port() for _ in range(gateways)]
        self.metrics_ports = {"auth": ports.free_port(), "content": ports.free_port()}
        for index in range(gateways):
            self.metrics_ports[self._gateway_name(index)] = ports.free_port()
        auth_url = f"http://127.0.0.1:{self.auth_port}"
        self.env: dict[str, str] = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # A crash exits at once with its raw stack in the log (a symbolicated backtrace takes 5-12 s,
            # during which the dying process hangs); SWIFT_BACKTRACE=enable=yes in the caller's
            # environment brings the symbolicated one back.
            "SWIFT_BACKTRACE": os.environ.get("SWIFT_BACKTRACE", "enable=no"),
            "LOG_LEVEL": "info",
            "LOG_FORMAT": "json",
            "AUTH_METRICS_PORT": str(self.metrics_ports["auth"]),
            "CONTENT_METRICS_PORT": str(self.metrics_ports["content"]),
            "GATEWAY_METRICS_PORT": str(self.metrics_ports[self._gateway_name(0)]),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "JWT_PRIVATE_KEY_FILE": environment.jwt_private_key_file,
            "MFA_ENCRYPTION_KEY_FILE": config.mfa_key_file(),
            "AUTH_PORT": str(self.auth_port),
            "CONTENT_PORT": str(self.content_port),
            "GATEWAY_PORT": str(self.gateway_ports[0]),
            "AUTH_SERVICE_URL": auth_url,
            "CONTENT_SERVICE_URL": f"http://127.0.0.1:{self.content_port}",
            "CORS_ALLOWED_ORIGINS": CORS_ORIGINS,
            "BOOTSTRAP_ADMIN_USERNAME": ADMIN_USERNAME,
            "BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            # The suites sign up far more accounts from 127.0.0.1 than any real client would.
            "RATE_LIMIT_SIGNUP": "100000",
            "RATE_LIMIT_SIGNIN": "100000",
            "RATE_LIMIT_REFRESH": "100000",
        }
        #: The SMTP server the auth service delivers to (``mail=True``: one of its own, stopped with the
        #: System; a MailCatcher given: shared, the caller's to stop). None: SMTP_URL unset, no delivery.
        self.mail: MailCatcher | None = None
        self._owns_mail = mail is True
        if mail is True:
            self.mail = MailCatcher(self.log_dir / "mail")
        elif isinstance(mail, MailCatcher):
            self.mail = mail
        if self.mail is not None:
            self.env.update({
                "SMTP_URL": self.mail.url,
                "MAIL_FROM": "Auth Backend <no-reply@auth.test>",
                "PUBLIC_URL": f"http://127.0.0.1:{self.gateway_ports[0]}",
                # Tests wait for mail: look often, retry soon.
                "MAIL_POLL_INTERVAL": "0.2",
                "MAIL_RETRY_DELAY": "0.5",
                "MAIL_MAX_RETRY_DELAY": "2",
            })
        self.env.update(env or {})
        self._counted_crashes: set[int] = set()
        self._clients: list[Client] = []
        self.gateways: list[ManagedProcess] = []
        try:
            self.auth = ManagedProcess("auth", [str(environment.bin_dir / "AuthService")], self.env,
                                       self.log_dir / "auth.log")
            self.content = ManagedProcess("content", [str(environment.bin_dir / "ContentService")], self.env,
                                          self.log_dir / "content.log")
            for index, port in enumerate(self.gateway_ports):
                gateway_settings = {**self.env, **(gateway_env or {})}
                gateway_settings["GATEWAY_PORT"] = str(port)
                gateway_settings["GATEWAY_METRICS_PORT"] = str(self.metrics_ports[self._gateway_name(index)])
                self.gateways.append(ManagedProcess(self._gateway_name(index), [str(environment.bin_dir / "Gateway")],
                                                    gateway_settings, self.log_dir / f"{self._gateway_name(index)}.log"))
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.http = self.client()

    @staticmethod
    def _gateway_name(index: int) -> str:
        return "gateway" if index == 0 else f"gateway{index + 1}"

    # ------------------------------------------------------------ processes

    @property
    def gateway(self) -> ManagedProcess:
        """The first gateway."""
        return self.gateways[0]

    @property
    def processes(self) -> list[ManagedProcess]:
        """auth, content and every gateway."""
        return [self.auth, self.content, *self.gateways]

    def _port_of(self, process: ManagedProcess) -> int:
        if process is self.auth:
            return self.auth_port
        if process is self.content:
            return self.content_port
        return self.gateway_ports[self.gateways.index(process)]

    def _probe(self, process: ManagedProcess, path: str, timeout: float = 2.0) -> int | None:
        try:
            return requests.get(f"http://127.0.0.1:{self._port_of(process)}{path}", timeout=timeout).status_code
        except requests.RequestException:
            return None

    def _wait_ready(self) -> None:
        for process in self.processes:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                if not process.running:
                    raise SystemFailure(f"{process.name} exited during start: {process.status_report()}")
                if self._probe(process, "/health/ready") == 200:
                    break
                if time.monotonic() >= deadline:
                    raise SystemFailure(
                        f"{process.name} not ready on /health/ready within {READY_TIMEOUT:.0f}s: {process.status_report()}"
                    )
                time.sleep(0.1)

    def crashed(self) -> list[ManagedProcess]:
        """The processes that exited without being stopped; each is counted once as a crash."""
        found = [process for process in self.processes if process.crashed()]
        for process in found:
            if process.pid not in self._counted_crashes:
                self._counted_crashes.add(process.pid)
                TALLY.add("crashes", example=f"{self.name}: {process.name} {process.status_report(3)}")
        return found

    def assert_no_crash(self) -> None:
        """Fails (SystemFailure with the log tails) when any process exited without being stopped."""
        dead = self.crashed()
        if dead:
            raise SystemFailure("process(es) died: " + "\n\n".join(process.status_report() for process in dead))

    def live_problems(self, timeout: float = 2.0) -> list[str]:
        """What is wrong with liveness (a crashed process, one not answering /health/live), empty if all is well."""
        problems = [f"died: {process.status_report()}" for process in self.crashed()]
        for process in self.processes:
            if process.running:
                status = self._probe(process, "/health/live", timeout)
                if status != 200:
                    problems.append(f"/health/live answered {status}: {process.status_report(15)}")
        return problems

    def assert_all_live(self, timeout: float = 2.0) -> None:
        """Every process still runs and answers 200 on its own /health/live within TIMEOUT seconds."""
        self.assert_no_crash()
        problems = self.live_problems(timeout)
        if problems:
            raise SystemFailure("process(es) not live:\n" + "\n\n".join(problems))

    # ---------------------------------------------------------------- HTTP

    def gateway_url(self, index: int = 0) -> str:
        """http://127.0.0.1:PORT of gateway INDEX."""
        return f"http://127.0.0.1:{self.gateway_ports[index]}"

    @property
    def gateway_port(self) -> int:
        """The first gateway's port."""
        return self.gateway_ports[0]

    def client(self, gateway: int = 0, timeout: tuple[float, float] | None = None) -> Client:
        """A new Client for gateway INDEX (one per thread); closed by stop()."""
        client = Client(self.gateway_url(gateway), **({"timeout": timeout} if timeout else {}))
        self._clients.append(client)
        return client

    def service_client(self, service: str) -> Client:
        """A Client straight to 'auth' or 'content' (bypassing the gateway), for diagnostics."""
        port = {"auth": self.auth_port, "content": self.content_port}[service]
        client = Client(f"http://127.0.0.1:{port}")
        self._clients.append(client)
        return client

    def metrics(self, service: str = "gateway") -> str:
        """The Prometheus text of SERVICE ('auth', 'content', 'gateway', 'gateway2', ...)."""
        return requests.get(f"http://127.0.0.1:{self.metrics_ports[service]}/metrics", timeout=5).text

    # ---------------------------------------------------------------- stop

    def stop(self) -> None:
        """Stops the gateways, then content, then auth (SIGTERM, SIGKILL after 5 s). Safe to call twice."""
        for client in self._clients:
            client.close()
        for process in [*getattr(self, "gateways", []), getattr(self, "content", None), getattr(self, "auth", None)]:
            if process is not None:
                process.stop(grace=5)
        if getattr(self, "_owns_mail", False) and self.mail is not None:
            self.mail.stop()

    def __enter__(self) -> "System":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_path(self, process: ManagedProcess) -> Path:
        """Where PROCESS writes its log."""
        return process.log_file
