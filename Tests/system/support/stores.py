"""PostgreSQL and Redis for the system tests.

- ``create_database(base_url)``: a fresh database on the shared throwaway server (TEST_DATABASE_URL),
  so each System starts from nothing.
- ``PrivateRedis`` / ``PrivatePostgres``: stores of one test's own, on ports of SYSTEM_TEST_PORTS, which
  the test may pause (SIGSTOP) and resume (SIGCONT) to simulate a stalled store. Each removes its data
  folder when stopped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from . import config, ports
from .processes import ManagedProcess, record_for_cleanup, start_time

PG_BIN_DIR = Path(os.environ.get("PG_BIN_DIR", "/usr/lib/postgresql/15/bin"))


def psql(url: str, sql: str) -> str:
    """Runs SQL with psql against URL and returns its unaligned, tuples-only output; raises on error."""
    done = subprocess.run(
        ["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def with_database(url: str, name: str) -> str:
    """URL with its database (path) replaced by NAME."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def create_database(base_url: str, prefix: str = "sys") -> str:
    """Creates an empty database on the server of BASE_URL and returns its URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    psql(base_url, f"CREATE DATABASE {name}")
    return with_database(base_url, name)


def _children(pid: int) -> list[int]:
    """Pids whose parent is PID (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


@dataclass(frozen=True)
class RedisTLS:
    """What a TLS-only redis-server is started with: its certificate and key, the CA its clients'
    certificates must chain to, and whether a client must show one (``--tls-auth-clients``)."""

    certificate: Path
    key: Path
    ca: Path
    require_client_certificate: bool = False


class PrivateRedis:
    """A redis-server of one test's own (AOF on, own folder, own port), which it may pause or kill.

    ``tls`` makes it speak TLS only (``--port 0 --tls-port PORT``); ``extra`` adds arguments
    (``--replicaof``, ``--requirepass``, ...).
    """

    def __init__(self, name: str = "redis", tls: RedisTLS | None = None, extra: list[str] | None = None) -> None:
        self.name = name
        self._place()
        self.tls = tls
        self.extra = list(extra or [])
        self.process: ManagedProcess | None = None
        try:
            self.start()
        except BaseException:
            self.stop()
            raise

    def _place(self) -> None:
        """Its port, data folder (deleted by stop()) and log."""
        self.port = ports.free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="sys-redis-"))
        record_for_cleanup("dir", self.directory)
        self.log_file = config.output_dir() / "stores" / f"{self.name}-{self.port}.log"

    @property
    def url(self) -> str:
        """redis://127.0.0.1:PORT (rediss:// with TLS)"""
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts (or starts again, on the same port and data) and waits until it accepts connections."""
        if self.tls:
            listen = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.tls.certificate),
                      "--tls-key-file", str(self.tls.key), "--tls-ca-cert-file", str(self.tls.ca),
                      "--tls-auth-clients", "yes" if self.tls.require_client_certificate else "no"]
        else:
            listen = ["--port", str(self.port)]
        argv = [
            config.redis_server_bin(), *listen, "--bind", "127.0.0.1",
            "--dir", str(self.directory), "--appendonly", "yes", "--save", "",
            "--daemonize", "no", "--logfile", "", *self.extra,
        ]
        self.process = ManagedProcess(self.name, argv, os.environ, self.log_file)
        if not self.process.wait_listening(self.port, 15):
            raise RuntimeError(f"redis-server did not start:\n{self.process.status_report()}")

    def cli(self, *arguments: str, user: str | None = None, password: str | None = None) -> str:
        """Runs one command with redis-cli (as the default user, or USER with PASSWORD); its output."""
        argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)]
        if self.tls:
            argv += ["--tls", "--cacert", str(self.tls.ca)]
            if self.tls.require_client_certificate:
                # redis-cli needs a certificate of its own: the server's serves (same CA).
                argv += ["--cert", str(self.tls.certificate), "--key", str(self.tls.key)]
        if user:
            argv += ["--user", user]
        if password:
            argv += ["--no-auth-warning", "--pass", password]
        done = subprocess.run([*argv, *arguments], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"redis-cli {' '.join(arguments)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def pause(self) -> None:
        """SIGSTOP: Redis keeps its connections open but answers nothing, as a stalled server would."""
        assert self.process is not None
        self.process.signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after pause()."""
        assert self.process is not None
        self.process.signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash or a lost node would; start() brings it back with its AOF data."""
        if self.process is not None:
            self.process.signal(signal.SIGKILL)
            self.process.popen.wait(timeout=10)
            self.process.stopped = True

    def stop(self) -> None:
        """Stops the server and deletes its data folder."""
        if self.process is not None:
            self.process.stop(grace=5)
        self._discard()

    def _discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL 15 cluster of one test's own (initdb --no-sync, fsync off), run as user postgres.

    pause() stops the postmaster and every backend (SIGSTOP), resume() continues them: connections stay
    open and queries hang, which is what a stalled database looks like to its clients. With ``tls``
    (a certificate and its key) it speaks TLS and refuses every TCP connection without it (hostssl);
    ``settings`` are further server settings (``{"max_connections": "400"}``).
    """

    def __init__(self, tls: "tuple[Path, Path] | None" = None, settings: "dict[str, str] | None" = None) -> None:
        if not (PG_BIN_DIR / "postgres").exists():
            raise config.MissingEnvironment(f"PostgreSQL 15 not found in {PG_BIN_DIR} (package postgresql-15)")
        self.paused_pids: list[int] = []
        self._running = False
        self.tls = tls
        self.settings = dict(settings or {})
        try:
            self._place()
            self._init_and_start()
        except BaseException:
            self.stop()
            raise

    def _as_postgres(self, *argv: str, timeout: float = 120, script: str | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv],
            input=script, capture_output=True, text=True, timeout=timeout, cwd="/",
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done

    def _place(self) -> None:
        """Its port, folder (deleted by stop()), log and password."""
        self.port = ports.free_port()
        self.base = Path(tempfile.mkdtemp(prefix="sys-pg-"))
        record_for_cleanup("dir", self.base)
        os.chmod(self.base, 0o755)  # the postgres user must enter it
        self.data = self.base / "data"
        self.socket_dir = self.base / "run"
        self.log_file = config.output_dir() / "stores" / f"postgres-{self.port}.log"
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.password = secrets.token_hex(16)
        subprocess.run(["chown", "postgres:postgres", str(self.base)], check=True)

    def _create_cluster(self) -> None:
        self._initdb(self.data, "--no-sync")

    def _initdb(self, target: Path, *flags: str) -> None:
        self._as_postgres(
            str(PG_BIN_DIR / "initdb"), "-D", str(target), "-U", "postgres", *flags,
            "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
        )

    #: Throwaway data: no fsync.
    DURABILITY = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

    def _init_and_start(self) -> None:
        subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "755",
                        str(self.socket_dir)], check=True)
        self._create_cluster()
        # pg_ctl writes the server log as user postgres: give it a file it may write.
        subprocess.run(["touch", str(self.log_file)], check=True)
        subprocess.run(["chown", "postgres:postgres", str(self.log_file)], check=True)
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} {self.DURABILITY}"
        ) + "".join(f" -c {name}={value}" for name, value in self.settings.items())
        if self.tls:
            options += self._configure_tls(*self.tls)
        self._as_postgres(
            str(PG_BIN_DIR / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_file),
            "-s", "-w", "-t", "60", "-o", options, "start",
        )
        self._running = True
        record_for_cleanup("pid", self.postmaster_pid(), start_time(self.postmaster_pid()), "postgres")
        # Role and database if missing (a kept cluster has them), the password as it is now: one psql.
        self._as_postgres(
            str(PG_BIN_DIR / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
            "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            script="SELECT 'CREATE ROLE auth' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'auth')\\gexec\n"
                   f"ALTER ROLE auth WITH LOGIN CREATEDB PASSWORD '{self.password}';\n"
                   "SELECT 'CREATE DATABASE auth OWNER auth' "
                   "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'auth')\\gexec\n",
        )

    def _configure_tls(self, certificate: Path, key: Path) -> str:
        """Copies the pair where only postgres reads it, allows TCP only over TLS; the server options."""
        for source, name, mode in ((certificate, "server.crt", "644"), (key, "server.key", "600")):
            subprocess.run(["install", "-o", "postgres", "-g", "postgres", "-m", mode, str(source),
                            str(self.base / name)], check=True)
        hba = self.data / "pg_hba.conf"
        hba.write_text("local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n")
        subprocess.run(["chown", "postgres:postgres", str(hba)], check=True)
        return f" -c ssl=on -c ssl_cert_file={self.base / 'server.crt'} -c ssl_key_file={self.base / 'server.key'}"

    @property
    def url(self) -> str:
        """postgres://auth:PASSWORD@127.0.0.1:PORT/auth"""
        return f"postgres://auth:{self.password}@127.0.0.1:{self.port}/auth"

    def postmaster_pid(self) -> int:
        """The postmaster's pid, from postmaster.pid."""
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def _cluster_pids(self) -> list[int]:
        """The postmaster first, then its children and every other member of its process group."""
        postmaster = self.postmaster_pid()
        pids = [postmaster, *_children(postmaster)]
        try:
            group = os.getpgid(postmaster)
        except ProcessLookupError:
            return pids
        if group == postmaster:  # pg_ctl made it a group leader: catch grandchildren too
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in pids:
                    try:
                        if os.getpgid(int(entry)) == group:
                            pids.append(int(entry))
                    except ProcessLookupError:
                        pass
        return pids

    def pause(self) -> None:
        """SIGSTOP the postmaster (so it forks nothing new), then all its backends."""
        self.paused_pids = self._cluster_pids()
        for pid in self.paused_pids:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass

    def resume(self) -> None:
        """SIGCONT everything pause() stopped (and the group, for anything forked meanwhile)."""
        for pid in reversed(self.paused_pids or self._cluster_pids()):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.paused_pids = []

    def psql(self, sql: str, database: str = "auth") -> str:
        """Runs SQL as superuser postgres on DATABASE and returns the unaligned, tuples-only output."""
        done = self._as_postgres(
            str(PG_BIN_DIR / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql,
            timeout=60,
        )
        return done.stdout.strip()

    def stop(self) -> None:
        """Resumes if paused, stops the cluster (fast, then immediate) and deletes its folder."""
        if self._running:
            self._running = False
            try:
                self.resume()
            except (OSError, ValueError):
                pass
            self._stop_server()
        self._discard()

    def _stop_server(self) -> None:
        for mode in ("fast", "immediate"):
            try:
                self._as_postgres(str(PG_BIN_DIR / "pg_ctl"), "-D", str(self.data), "-s", "-w",
                                  "-t", "20", "-m", mode, "stop", timeout=40)
                return
            except (RuntimeError, subprocess.TimeoutExpired):
                time.sleep(0.2)

    def _discard(self) -> None:
        if hasattr(self, "base"):
            shutil.rmtree(self.base, ignore_errors=True)
