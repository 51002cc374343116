"""The harness's stores and processes for a shell script: make run's and make test's stores, and the
benchmarks' stores and processes, come from it.

    PYTHONPATH=Tests/system python3 -m support.launcher FOLDER

runs as a bash coproc (scripts/lib/launcher.sh). It reads one command per line, its fields
separated by tabs, and answers each with one line: the answer, or ``error TEXT``.

    postgres [FOLDER]             its URL: a PrivatePostgres, or with FOLDER a KeptPostgres (make run's)
    redis [FOLDER]                its URL: a PrivateRedis, or with FOLDER a KeptRedis
    port                          a free port of SYSTEM_TEST_PORTS, never handed out twice
    start NAME VAR=VALUE... -- ARGV...
                                  the pid: ARGV in FOLDER with only PATH, HOME=FOLDER, LANG and these
                                  settings, its output in FOLDER/logs/NAME.log
    http NAME URL SECONDS         milliseconds from NAME's exec until URL answered 2xx
    tcp NAME PORT SECONDS         milliseconds from NAME's exec until something accepted on PORT
    check                         "ok", or an error naming each process that exited on its own
    stop NAME                     how NAME ended: SIGTERM, SIGKILL after 10 s

Processes run in sessions of their own, as the launcher does (launcher.sh): a signal to the script's
group reaches the script, which then closes our input. At the end of input (the script ended, however) or on SIGTERM the launcher stops every process, the last
started first (all SIGTERMed, then each waited for; SIGKILL after 10 s), then the stores, and exits.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import ports
from .kept import KeptPostgres, KeptRedis
from .processes import ManagedProcess, accepts, describe_returncode, wait_until
from .stores import PrivatePostgres, PrivateRedis


class CommandError(Exception):
    """A command that cannot be carried out; its text is the answer."""


class Launcher:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: dict[str, ManagedProcess] = {}
        self.started_at: dict[str, float] = {}
        self.postgres_server: PrivatePostgres | None = None
        self.redis_server: PrivateRedis | None = None

    def postgres(self, folder: str = "") -> str:
        if self.postgres_server is not None:
            raise CommandError("PostgreSQL runs already")
        if folder:
            self.postgres_server = KeptPostgres(Path(folder))
        else:
            # Many Systems (or bench stacks) at once, each auth service with its own pool: PostgreSQL's
            # 100 slots ran out.
            self.postgres_server = PrivatePostgres(settings={"max_connections": "400"})
        return self.postgres_server.url

    def redis(self, folder: str = "") -> str:
        if self.redis_server is not None:
            raise CommandError("Redis runs already")
        # 32 databases, as the Swift tests hand out 16-31 (bench-scale's two stacks use 0 and 1).
        self.redis_server = KeptRedis(Path(folder)) if folder else PrivateRedis(extra=["--databases", "32"])
        return self.redis_server.url

    def start(self, name: str, *fields: str) -> str:
        if name in self.processes:
            raise CommandError(f"{name} was started already")
        if "--" not in fields:
            raise CommandError("start NAME VAR=VALUE... -- ARGV...")
        split = fields.index("--")
        settings, argv = fields[:split], fields[split + 1:]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.folder), "LANG": "C.UTF-8"}
        for setting in settings:
            variable, equals, value = setting.partition("=")
            if not equals or not variable:
                raise CommandError(f"{setting!r} is not VAR=VALUE")
            env[variable] = value
        self.started_at[name] = time.monotonic()
        process = ManagedProcess(name, argv, env, self.folder / "logs" / f"{name}.log", cwd=str(self.folder))
        self.processes[name] = process
        return str(process.pid)

    def _process(self, name: str) -> ManagedProcess:
        if name not in self.processes:
            raise CommandError(f"no process {name}")
        return self.processes[name]

    def _wait(self, name: str, seconds: str, answered, what: str) -> str:
        process = self._process(name)
        if not wait_until(lambda: answered() or not process.running, float(seconds), interval=0.01) \
                or not process.running:
            raise CommandError(f"{what}: {process.status_report(30)}".replace("\n", " | "))
        return str(round((time.monotonic() - self.started_at[name]) * 1000))

    def http(self, name: str, url: str, seconds: str) -> str:
        def answered() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=1) as reply:
                    return 200 <= reply.status < 300
            except (OSError, urllib.error.URLError):
                return False

        return self._wait(name, seconds, answered, f"{url} did not answer 2xx within {seconds} s")

    def tcp(self, name: str, port: str, seconds: str) -> str:
        return self._wait(name, seconds, lambda: accepts(int(port)),
                          f"nothing accepted on port {port} within {seconds} s")

    def check(self) -> str:
        dead = [process.status_report(20) for process in self.processes.values() if process.crashed()]
        if dead:
            raise CommandError(" || ".join(dead).replace("\n", " | "))
        return "ok"

    def stop(self, name: str) -> str:
        process = self._process(name)
        process.stop(grace=10)
        return describe_returncode(process.returncode)

    def stop_all(self) -> None:
        started = list(reversed(self.processes.values()))
        for process in started:
            process.signal(signal.SIGCONT)
            process.signal(signal.SIGTERM)
        for process in started:
            process.stop(grace=10)
        for store in (self.redis_server, self.postgres_server):
            if store is not None:
                store.stop()

    def answer(self, line: str) -> str:
        command, *fields = line.rstrip("\n").split("\t")
        handlers = {"postgres": self.postgres, "redis": self.redis, "port": lambda: str(ports.free_port()), "start": self.start,
                    "http": self.http, "tcp": self.tcp, "check": self.check, "stop": self.stop}
        if command not in handlers:
            raise CommandError(f"unknown command {command!r}")
        try:
            return handlers[command](*fields)
        except TypeError as error:
            raise CommandError(f"{command}: {error}") from error


def main() -> None:
    launcher = Launcher(Path(sys.argv[1]))

    def stop_on_signal(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    # Should a Ctrl-C reach us all the same, the script's cleanup ends our input; SIGTERM stops us at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        for line in sys.stdin:
            try:
                reply = launcher.answer(line)
            except (CommandError, RuntimeError, OSError, ValueError) as error:
                reply = f"error {error}".replace("\n", " | ")
            print(reply, flush=True)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        launcher.stop_all()


if __name__ == "__main__":
    main()
