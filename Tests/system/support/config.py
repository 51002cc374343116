"""What the environment hands the system tests; a missing value fails loudly, never skips.

``make test`` and ``make system-test`` (scripts/test.sh) export:

- ``SERVICE_BIN_DIR``      folder with the Gateway, AuthService and ContentService executables
- ``TEST_DATABASE_URL``    a throwaway PostgreSQL (each System gets its own database on it)
- ``TEST_REDIS_URL``       a throwaway Redis shared by the Systems that do not bring their own
- ``JWT_PRIVATE_KEY_FILE`` a throwaway ES256 (P-256) signing key
- ``REDIS_SERVER_BIN``     redis-server, for private Redis servers
- ``SYSTEM_TEST_PORTS``    ``LOW-HIGH``, the loopback ports this run may listen on (default 10000-19999)
- ``SYSTEM_TEST_OUTPUT``   folder for service logs and tally.json (default a new folder under /tmp)
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT_RANGE = "10000-19999"
#: The kernel hands out ports from 32768 up as the local end of outgoing connections: never listen there.
EPHEMERAL_PORT_START = 32768
SERVICES = ("Gateway", "AuthService", "ContentService")


class MissingEnvironment(RuntimeError):
    """A variable the system tests need is not set: run them through `make test` or `make system-test`."""


def require(name: str) -> str:
    """The value of environment variable NAME; raises MissingEnvironment when unset or empty."""
    value = os.environ.get(name, "")
    if not value:
        raise MissingEnvironment(
            f"{name} must be set: run the system tests through `make system-test` or `make test`"
        )
    return value


def binary(name: str) -> Path:
    """Path of one of our executables in SERVICE_BIN_DIR; raises when it is not there."""
    path = Path(require("SERVICE_BIN_DIR")) / name
    if not os.access(path, os.X_OK):
        raise MissingEnvironment(f"{path} is not an executable: build first (swift build)")
    return path


def port_range() -> range:
    """The ports this run may listen on, from SYSTEM_TEST_PORTS (``LOW-HIGH``, both included)."""
    text = os.environ.get("SYSTEM_TEST_PORTS", "") or DEFAULT_PORT_RANGE
    try:
        low_text, high_text = text.split("-", 1)
        low, high = int(low_text), int(high_text)
    except ValueError as error:
        raise MissingEnvironment(f"SYSTEM_TEST_PORTS={text!r} is not LOW-HIGH") from error
    if not 1024 <= low <= high < EPHEMERAL_PORT_START:
        raise MissingEnvironment(
            f"SYSTEM_TEST_PORTS={text!r} must lie within 1024-{EPHEMERAL_PORT_START - 1}"
        )
    return range(low, high + 1)


_output_dir: Path | None = None


def output_dir() -> Path:
    """The folder for logs and the tally: SYSTEM_TEST_OUTPUT, or one new folder under /tmp per run."""
    global _output_dir
    if _output_dir is None:
        configured = os.environ.get("SYSTEM_TEST_OUTPUT", "")
        if configured:
            _output_dir = Path(configured)
            _output_dir.mkdir(parents=True, exist_ok=True)
        else:
            _output_dir = Path(tempfile.mkdtemp(prefix="system-test-"))
    return _output_dir


_mfa_key_file: Path | None = None


def mfa_key_file() -> str:
    """MFA_ENCRYPTION_KEY_FILE for every System of this run: 32 random bytes in base64, written once."""
    global _mfa_key_file
    if _mfa_key_file is None:
        path = output_dir() / "mfa-encryption.key"
        if not path.exists():
            # Parallel workers share the file: written aside, then linked in, so the first one wins whole.
            side = path.with_name(f"{path.name}.{os.getpid()}")
            side.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
            side.chmod(0o600)
            try:
                os.link(side, path)
            except FileExistsError:
                pass
            side.unlink()
        _mfa_key_file = path
    return str(_mfa_key_file)


def redis_server_bin() -> str:
    """redis-server for private Redis servers: REDIS_SERVER_BIN, else the one on PATH."""
    configured = os.environ.get("REDIS_SERVER_BIN", "")
    if configured:
        return configured
    found = shutil.which("redis-server")
    if not found:
        raise MissingEnvironment("REDIS_SERVER_BIN is not set and redis-server is not on PATH")
    return found


@dataclass(frozen=True)
class Environment:
    """Everything a System needs from the environment, read once."""

    bin_dir: Path
    database_url: str
    redis_url: str
    jwt_private_key_file: str

    @staticmethod
    def load() -> "Environment":
        """Reads and checks the variables; raises MissingEnvironment naming the first one missing."""
        for name in SERVICES:
            binary(name)
        key = require("JWT_PRIVATE_KEY_FILE")
        if not os.access(key, os.R_OK):
            raise MissingEnvironment(f"JWT_PRIVATE_KEY_FILE={key} is not readable")
        return Environment(
            bin_dir=Path(require("SERVICE_BIN_DIR")),
            database_url=require("TEST_DATABASE_URL"),
            redis_url=require("TEST_REDIS_URL"),
            jwt_private_key_file=key,
        )


def compose_command() -> str | None:
    """SYSTEM_TEST_COMPOSE: the docker-compose command line naming the compose stack (support.compose)."""
    return os.environ.get("SYSTEM_TEST_COMPOSE") or None


def external_gateway_url() -> str | None:
    """SYSTEM_TEST_GATEWAY_URL: a running gateway to test instead of starting Systems (support.external)."""
    return os.environ.get("SYSTEM_TEST_GATEWAY_URL") or None
