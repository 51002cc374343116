"""One real process (a service or a store) with its own environment and log file.

Every process started here is recorded in ``<output>/cleanup.txt`` (pid and start time; temporary
folders too), so that scripts/test.sh can end, by id, whatever a killed test run left behind;
and stopped at interpreter exit if a test forgot to.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Mapping, Sequence

from . import config

_started: list["ManagedProcess"] = []


def start_time(pid: int) -> str:
    """The kernel's start time of PID (field 22 of /proc/PID/stat), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "?"
    return stat.rsplit(")", 1)[1].split()[19]


def record_for_cleanup(*fields: object) -> None:
    """Appends one line to <output>/cleanup.txt: ``pid PID START NAME`` or ``dir PATH``."""
    with open(config.output_dir() / "cleanup.txt", "a") as record:
        record.write(" ".join(str(field) for field in fields) + "\n")


def describe_returncode(code: int | None) -> str:
    """'running', 'exited with status N' or 'killed by SIGNAME' for a Popen returncode."""
    if code is None:
        return "running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class ManagedProcess:
    """A child process whose output goes to LOG_FILE; stop() always ends it (SIGTERM, then SIGKILL).

    It runs in a session of its own (so a Ctrl-C meant for pytest reaches it only through stop()).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_file: Path,
        cwd: str | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_file = log_file
        self.stopped = False
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=cwd,
            )
        self.pid = self.popen.pid
        record_for_cleanup("pid", self.pid, start_time(self.pid), name)
        _started.append(self)

    @property
    def running(self) -> bool:
        """True while the process has not exited."""
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status once it exited (negative: killed by that signal), None while it runs."""
        return self.popen.poll()

    def crashed(self) -> bool:
        """True when the process exited without stop() having been asked."""
        return not self.stopped and not self.running

    def signal(self, signum: int) -> None:
        """Sends SIGNUM to the process (SIGSTOP / SIGCONT / SIGKILL in fault tests)."""
        if self.running:
            os.kill(self.pid, signum)

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM, SIGKILL after GRACE seconds; returns the exit status. Safe to call twice."""
        self.stopped = True
        if self.running:
            try:
                os.kill(self.pid, signal.SIGCONT)  # a paused process cannot handle SIGTERM
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        return self.popen.returncode

    def log_tail(self, lines: int = 40) -> str:
        """The last LINES lines of the log, to explain a failure."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])

    def wait_listening(self, port: int, timeout: float = 20.0) -> bool:
        """Until something accepts connections on 127.0.0.1:PORT while this process runs; False when it
        exited first or TIMEOUT passed."""
        return wait_until(lambda: accepts(port) or not self.running, timeout) and self.running

    def status_report(self, lines: int = 40) -> str:
        """'NAME (pid N) STATUS' followed by the log tail."""
        return (
            f"{self.name} (pid {self.pid}) {describe_returncode(self.returncode)}; "
            f"log {self.log_file}, last lines:\n{self.log_tail(lines)}"
        )


def accepts(port: int) -> bool:
    """True when something accepts a connection on 127.0.0.1:PORT now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def alive(pid: int) -> bool:
    """True while PID runs (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Polls PREDICATE until it is true or TIMEOUT seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


@atexit.register
def _stop_leftovers() -> None:
    for process in _started:
        if process.running:
            process.stop(grace=2.0)
