"""An auth service that must never get to Redis: started alone with the settings under test, it has
to keep answering `/health/ready` with 503 and `redis: unavailable`, never crash, never get ready."""

from __future__ import annotations

import time
from typing import Callable

import requests

from support import config, ports, stores
from support.config import Environment
from support.processes import ManagedProcess

#: Answers in a row the auth service must give, about 0.3 s apart.
ANSWERS = 5


def assert_auth_never_reaches_redis(env: dict[str, str], meanwhile: Callable[[], None] = lambda: None) -> None:
    """Starts an AuthService of its own (fresh database, no bootstrap admin) with ENV and requires
    ANSWERS readiness answers of 503 with PostgreSQL ok and Redis unavailable within 30 s; then runs
    MEANWHILE (a look at the server's side) while the service still runs."""
    environment = Environment.load()
    port, metrics = ports.free_port(), ports.free_port()
    full = {
        "PATH": "/usr/bin:/bin", "SWIFT_BACKTRACE": "enable=no", "LOG_FORMAT": "json",
        "DATABASE_URL": stores.create_database(environment.database_url),
        "JWT_PRIVATE_KEY_FILE": environment.jwt_private_key_file,
        "AUTH_PORT": str(port), "AUTH_METRICS_PORT": str(metrics), **env,
    }
    log = config.output_dir() / "systems" / f"auth-refused-{port}.log"
    process = ManagedProcess("auth-refused", [str(environment.bin_dir / "AuthService")], full, log)
    try:
        answered = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and answered < ANSWERS:
            assert process.running, process.status_report()
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=3)
            except requests.RequestException:
                time.sleep(0.2)
                continue
            checks = reply.json()["checks"]
            assert reply.status_code == 503 and checks == {"postgres": "ok", "redis": "unavailable"}, (reply.status_code, checks)
            answered += 1
            time.sleep(0.3)
        assert answered == ANSWERS, f"the auth service did not answer /health/ready: {process.status_report()}"
        meanwhile()
    finally:
        process.stop()
