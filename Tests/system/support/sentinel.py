"""A Redis master, its replica and three Sentinels of one test's own, for failover tests.

Everything runs on loopback ports of SYSTEM_TEST_PORTS with data in temporary folders: real
``redis-server`` processes (AOF on) and real ``redis-sentinel`` processes (Debian's package
redis-sentinel). The Sentinels watch the master under ``MASTER_NAME`` with a quorum of 2 and mark it
down after ``DOWN_AFTER_MS`` of silence.

    with SentinelSet() as ha:
        env = ha.service_env()          # REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTER
        ha.kill_master()
        ha.wait_for_promotion(timeout=30)

``SentinelSet(tls=RedisTLS(...))`` runs every node and Sentinel TLS-only, replication and the
Sentinels' own links included; ``service_env()`` then names a ``rediss://`` URL and the CA.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import config, ports
from .processes import ManagedProcess, record_for_cleanup, wait_until
from .stores import PrivateRedis, RedisTLS

MASTER_NAME = "authmaster"
DOWN_AFTER_MS = 1000
#: A full resync starts at once instead of after the default 5 s wait for more replicas.
FAST_SYNC = ["--repl-diskless-sync-delay", "0"]


def sentinel_bin() -> str:
    """redis-sentinel (package redis-sentinel); MissingEnvironment when it is not installed."""
    found = shutil.which("redis-sentinel")
    if not found:
        raise config.MissingEnvironment("redis-sentinel is not on PATH (Debian package redis-sentinel)")
    return found


def cli(port: int, *arguments: str, tls: RedisTLS | None = None) -> str:
    """One command to the Sentinel on 127.0.0.1:PORT with redis-cli (over TLS with TLS); its output.
    A node's commands go through its ``PrivateRedis.cli``."""
    secure = ["--tls", "--cacert", str(tls.ca)] if tls else []
    done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *secure, *arguments],
                          capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"redis-cli -p {port} {' '.join(arguments)}: {done.stderr.strip()}")
    return done.stdout.strip()


class Sentinel:
    """One redis-sentinel with its own config file (Sentinel rewrites it) in its own folder."""

    def __init__(self, index: int, master_port: int, tls: RedisTLS | None = None) -> None:
        self.port = ports.free_port()
        self.tls = tls
        self.directory = Path(tempfile.mkdtemp(prefix="sys-sentinel-"))
        record_for_cleanup("dir", self.directory)
        self.config_file = self.directory / "sentinel.conf"
        listen = [f"port {self.port}"] if tls is None else [
            "port 0", f"tls-port {self.port}", f"tls-cert-file {tls.certificate}", f"tls-key-file {tls.key}",
            f"tls-ca-cert-file {tls.ca}", "tls-auth-clients no", "tls-replication yes",
        ]
        self.config_file.write_text("\n".join([
            *listen,
            "bind 127.0.0.1",
            f"dir {self.directory}",
            "daemonize no",
            'logfile ""',
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2",
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER_NAME} 10000",
            f"sentinel parallel-syncs {MASTER_NAME} 1",
            "",
        ]))
        log = config.output_dir() / "stores" / f"sentinel{index}-{self.port}.log"
        self.process = ManagedProcess(f"sentinel{index}", [sentinel_bin(), str(self.config_file)], os.environ, log)
        if not self.process.wait_listening(self.port, 15):
            raise RuntimeError(f"redis-sentinel did not start:\n{self.process.status_report()}")

    def master_port(self) -> int | None:
        """The port this Sentinel names the master on, None if it names none."""
        reply = cli(self.port, "SENTINEL", "get-master-addr-by-name", MASTER_NAME, tls=self.tls).split()
        return int(reply[1]) if len(reply) == 2 else None

    def stop(self) -> None:
        self.process.stop(grace=5)
        shutil.rmtree(self.directory, ignore_errors=True)


class SentinelSet:
    """A master, one replica of it, and three Sentinels that know both and each other.

    ``backup_replica=True`` adds a second replica with ``replica-priority 0``: never promoted, so
    ``replica`` is always the one that is, but re-pointed at it during the failover, so the new
    master has a replica at once (the recommended production shape: two replicas)."""

    def __init__(self, backup_replica: bool = False, tls: RedisTLS | None = None) -> None:
        self.sentinels: list[Sentinel] = []
        self.tls = tls
        #: What every node starts with: replication over TLS too, when the nodes speak it.
        self.node_extra = [*FAST_SYNC, *(["--tls-replication", "yes"] if tls else [])]
        self.master = PrivateRedis("redis-master", tls=tls, extra=self.node_extra)
        following = ["--replicaof", "127.0.0.1", str(self.master.port)]
        self.replica = PrivateRedis("redis-replica", tls=tls, extra=[*self.node_extra, *following])
        self.backup = PrivateRedis("redis-backup", tls=tls, extra=[*self.node_extra, *following, "--replica-priority", "0"]) \
            if backup_replica else None
        try:
            for index in range(3):
                self.sentinels.append(Sentinel(index, self.master.port, tls))
            if not wait_until(self._settled, 30, interval=0.2):
                raise RuntimeError("the Sentinels did not find the replica and each other within 30 s:\n"
                                   + "\n".join(s.process.status_report(10) for s in self.sentinels))
        except BaseException:
            self.stop()
            raise

    def _settled(self) -> bool:
        """Every Sentinel sees the replica and the two other Sentinels; the replica is in sync."""
        try:
            replicas = [self.replica] + ([self.backup] if self.backup else [])
            if any("master_link_status:up" not in replica.cli("INFO", "replication") for replica in replicas):
                return False
            for sentinel in self.sentinels:
                info = cli(sentinel.port, "INFO", "sentinel", tls=self.tls)
                if f"status=ok,address=127.0.0.1:{self.master.port},slaves={len(replicas)},sentinels=3" not in info:
                    return False
        except RuntimeError:
            return False
        return True

    @property
    def sentinel_list(self) -> str:
        """REDIS_SENTINELS for the services."""
        return ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)

    def service_env(self) -> dict[str, str]:
        """The services' settings for this set. REDIS_URL's host names no node: Sentinel does."""
        return {
            "REDIS_URL": f"{'rediss' if self.tls else 'redis'}://sentinel-named-master",
            "REDIS_SENTINELS": self.sentinel_list,
            "REDIS_SENTINEL_MASTER": MASTER_NAME,
            **({"REDIS_CA_FILE": str(self.tls.ca)} if self.tls else {}),
        }

    def kill_master(self) -> float:
        """SIGKILLs the master; returns the monotonic time of the kill."""
        self.master.kill()
        return time.monotonic()

    def restart_old_master(self) -> float:
        """Starts the killed master again on its port and data as a replica of the promoted one, as a
        supervisor that asks the Sentinels first would (the Sentinels alone take some 10 s to turn a
        returning master into a replica). Returns when it is in sync."""
        self.master.extra = [*self.node_extra, "--replicaof", "127.0.0.1", str(self.replica.port)]
        self.master.start()
        return self.wait_for_old_master_as_replica(timeout=30)

    def wait_for_old_master_as_replica(self, timeout: float) -> float:
        """Waits until the old master replicates from the promoted one, in sync; returns when."""
        def rejoined() -> bool:
            try:
                info = self.master.cli("INFO", "replication")
            except RuntimeError:
                return False
            return "master_link_status:up" in info and f"master_port:{self.replica.port}" in info
        if not wait_until(rejoined, timeout, interval=0.05):
            raise AssertionError(f"the old master did not rejoin as a replica within {timeout} s:\n"
                                 + "\n".join(s.process.status_report(15) for s in self.sentinels))
        return time.monotonic()

    def switch_over(self) -> float:
        """A planned failover (SENTINEL FAILOVER, asked of the first Sentinel still running): the
        replica is promoted while the master still runs; returns the monotonic time it was asked for."""
        asked = next(sentinel for sentinel in self.sentinels if sentinel.process.running)
        cli(asked.port, "SENTINEL", "FAILOVER", MASTER_NAME, tls=self.tls)
        return time.monotonic()

    def stop_sentinel(self, index: int) -> None:
        """Stops one Sentinel for good (the services list it, and must ask the others)."""
        self.sentinels[index].process.stop(grace=5)

    def wait_for_promotion(self, timeout: float) -> float:
        """Waits until every Sentinel names the replica as master and it answers ROLE as one; returns when."""
        def promoted() -> bool:
            try:
                return (all(sentinel.master_port() == self.replica.port for sentinel in self.sentinels
                            if sentinel.process.running)
                        and self.replica.cli("ROLE").splitlines()[0] == "master")
            except (RuntimeError, IndexError):
                return False
        if not wait_until(promoted, timeout, interval=0.05):
            raise AssertionError(f"no promotion within {timeout}s:\n"
                                 + "\n".join(s.process.status_report(15) for s in self.sentinels))
        return time.monotonic()

    def stop(self) -> None:
        for sentinel in self.sentinels:
            sentinel.stop()
        self.replica.stop()
        if self.backup:
            self.backup.stop()
        self.master.stop()

    def __enter__(self) -> "SentinelSet":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
