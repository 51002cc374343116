"""``make run``'s PostgreSQL and Redis: the harness's stores with their data kept in a folder between runs.

    FOLDER/postgres/data, run/, postgres.log   the cluster (owner postgres), its socket and log
    FOLDER/postgres-password                   role ``auth``'s password (mode 600)
    FOLDER/postgres.path                       only when the postgres user cannot enter FOLDER (a home
                                               folder of mode 700) or its path is too long for a
                                               socket: the /tmp/authstack.* folder holding postgres/
    FOLDER/redis/                              Redis's AOF, redis.log and redis.pid

Each takes the first free port from its usual one (PostgreSQL 54329, Redis 63790), syncs its writes,
and on start stops a server an earlier, killed run left on the same data.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from . import config, ports
from .processes import wait_until
from .stores import PG_BIN_DIR, PrivatePostgres, PrivateRedis

POSTGRES_FIRST_PORT = 54329
REDIS_FIRST_PORT = 63790
SOCKET_PATH_LIMIT = 107  # sun_path, less the terminating NUL


def first_free_port(start: int) -> int:
    """The first port from START on (200 at most) that nothing listens on: make run's stores keep
    their usual ports where they can, so a developer's psql line keeps working."""
    for port in range(start, start + 200):
        if ports.bindable(port):
            return port
    raise RuntimeError(f"no free port in {start}-{start + 199}")


def _runs(pid: int, program: Path, cwd: Path) -> bool:
    """True when PID executes PROGRAM in CWD: a server of ours, not a reused pid."""
    try:
        return (Path(os.readlink(f"/proc/{pid}/exe")) == program.resolve()
                and Path(os.readlink(f"/proc/{pid}/cwd")) == cwd.resolve())
    except OSError:
        return False


class KeptPostgres(PrivatePostgres):
    """A PostgreSQL 15 cluster in FOLDER (created on first use), durable, kept by stop()."""

    DURABILITY = ""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__()

    def _place(self) -> None:
        self.base = self._usable_base()
        root = self.base / "postgres"
        subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "755", str(root)], check=True)
        self.data, self.socket_dir, self.log_file = root / "data", root / "run", root / "postgres.log"
        self.password = self._kept_password()
        self.port = first_free_port(POSTGRES_FIRST_PORT)

    def _usable_base(self) -> Path:
        def usable(path: Path) -> bool:
            socket_file = path / "postgres" / "run" / ".s.PGSQL.65535"
            return (len(str(socket_file)) <= SOCKET_PATH_LIMIT and
                    subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(path)]).returncode == 0)

        if usable(self.folder):
            return self.folder
        record = self.folder / "postgres.path"
        if record.exists():
            earlier = Path(record.read_text().strip())
            if earlier.parent == Path("/tmp") and earlier.name.startswith("authstack.") and earlier.is_dir() \
                    and usable(earlier):
                return earlier
        base = Path(tempfile.mkdtemp(prefix="authstack.", dir="/tmp"))
        base.chmod(0o755)
        record.write_text(f"{base}\n")
        print(f"the postgres user cannot enter {self.folder} (or the path is too long for a socket): "
              f"PostgreSQL's data goes to {base} instead (lost if /tmp is cleaned)", file=sys.stderr)
        return base

    def _kept_password(self) -> str:
        file = self.folder / "postgres-password"
        if not file.exists() or not file.read_text().strip():
            side = file.with_name(f"{file.name}.new")
            side.write_text(secrets.token_hex(24) + "\n")
            side.chmod(0o600)
            side.replace(file)
        return file.read_text().strip()

    def _create_cluster(self) -> None:
        version = self.data / "PG_VERSION"
        if version.exists():
            found = version.read_text().strip()
            if found != "15":
                raise RuntimeError(f"{self.data} holds a PostgreSQL {found} cluster, not 15: remove it (make clean-state)")
            self._stop_earlier_server()
            return
        # Made aside and moved in whole: a run killed during initdb leaves no half cluster to reuse.
        staging = self.data.with_name("data.init")
        self._as_postgres("rm", "-rf", str(self.data), str(staging))
        self._initdb(staging)
        self._as_postgres("mv", str(staging), str(self.data))

    def _stop_earlier_server(self) -> None:
        """A killed run's postmaster still on this data is stopped; a stale postmaster.pid goes."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            first = pid_file.read_text().split("\n", 1)[0].strip()
            if first.isdigit() and _runs(int(first), PG_BIN_DIR / "postgres", self.data):
                print(f"PostgreSQL of an earlier run (pid {first}) still uses {self.data}: stopping it", file=sys.stderr)
                self._stop_server()
            pid_file.unlink(missing_ok=True)
        for stale in self.socket_dir.glob(".s.PGSQL.*"):
            stale.unlink(missing_ok=True)

    def _discard(self) -> None:
        pass  # the data is what make run keeps


class KeptRedis(PrivateRedis):
    """A redis-server with its AOF in FOLDER/redis, kept by stop()."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(extra=["--databases", "32"])

    def _place(self) -> None:
        self.directory = self.folder / "redis"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_file = self.directory / "redis.log"
        self.port = first_free_port(REDIS_FIRST_PORT)

    def start(self) -> None:
        """Stops a server an earlier, killed run left on this data, then starts."""
        pid_file = self.directory / "redis.pid"
        if pid_file.exists():
            earlier = pid_file.read_text().strip()
            program = Path(config.redis_server_bin())
            if earlier.isdigit() and _runs(int(earlier), program, self.directory):
                print(f"Redis of an earlier run (pid {earlier}) still uses {self.directory}: stopping it", file=sys.stderr)
                os.kill(int(earlier), signal.SIGTERM)
                if not wait_until(lambda: not _runs(int(earlier), program, self.directory), 10):
                    os.kill(int(earlier), signal.SIGKILL)
            pid_file.unlink()
        super().start()
        assert self.process is not None
        pid_file.write_text(f"{self.process.pid}\n")

    def _discard(self) -> None:
        (self.directory / "redis.pid").unlink(missing_ok=True)
