"""`make run` and `make system-test` stop everything they started, however they are stopped.

Each case starts `make run` (scripts/run.sh with RUN_BIN_DIR set to the suite's binaries, so no
release build) in a session of its own, on throwaway state and free loopback ports, waits until the
stack is ready, stops it one way, and then requires that make exited and that nothing it started is
left: the three services, Redis and PostgreSQL. The run's processes are found by a marker in their
environment (run.sh passes the caller's environment on to everything it starts), by an argument or
working directory inside the throwaway state folder (Redis overwrites its environment with its
process title), and by the ports the run's log says its stores listen on. The `make system-test`
cases (scripts/test.sh, as `make test` runs it) run only the offline checks on the suite's binaries,
and are stopped once pytest has started.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from support import config, ports
from support.processes import alive, wait_until

REPO_ROOT = Path(__file__).resolve().parents[3]
READY_LIMIT = 90  # seconds for the stack to become ready (a loaded machine, debug binaries)
STOP_LIMIT = 40  # seconds for make to exit after the stop (run.sh allows 10 s per service)

CASES = {
    "int-group": "SIGINT to the process group (Ctrl-C in a terminal)",
    "term-group": "SIGTERM to the process group (a supervisor)",
    "term-twice": "SIGTERM to the group, and 0.3 s later to run.sh again: what make does when it loses the race",
    "timeout": "`timeout ... make run` expiring: SIGTERM to its child, then to the group",
    "term-script": "SIGTERM to scripts/run.sh alone",
    "hup-group": "SIGHUP to the process group (the terminal closed)",
    "crash": "SIGKILL to the gateway: run.sh stops the rest and fails",
    "kill-script": "SIGKILL to scripts/run.sh: the services (PR_SET_PDEATHSIG) and the stores (the launcher's input ends) stop all the same",
    "system-test-term-group": "`make system-test`: SIGTERM to the process group, which make passes on to test.sh again",
    "system-test-int-group": "`make system-test`: SIGINT to the process group (Ctrl-C in a terminal)",
}


class Run:
    """One `make run` in a session of its own; its pid is the process group's id."""

    def __init__(self, case: str) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="authstack-runstops."))
        self.state.chmod(0o755)  # the postgres user must enter it
        self.marker = f"RUN_STOPS_MARKER={secrets.token_hex(8)}"
        self.log = config.output_dir() / "make-run" / f"{case}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.gateway_port = ports.free_port()
        port = {name: ports.free_port() for name in ("auth", "content", "gateway_metrics", "auth_metrics", "content_metrics")}
        env = {key: value for key, value in os.environ.items()
               if key not in ("DATABASE_URL", "REDIS_URL", "JWT_PRIVATE_KEY_FILE", "JWKS_URL")}
        name, value = self.marker.split("=")
        env.update({
            name: value, "RUN_BIN_DIR": str(config.binary("Gateway").parent), "RUN_STATE_DIR": str(self.state / "state"),
            "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(self.gateway_port), "GATEWAY_METRICS_PORT": str(port["gateway_metrics"]),
            "AUTH_HOST": "127.0.0.1", "AUTH_PORT": str(port["auth"]), "AUTH_METRICS_PORT": str(port["auth_metrics"]),
            "CONTENT_HOST": "127.0.0.1", "CONTENT_PORT": str(port["content"]), "CONTENT_METRICS_PORT": str(port["content_metrics"]),
            "AUTH_SERVICE_URL": f"http://127.0.0.1:{port['auth']}", "CONTENT_SERVICE_URL": f"http://127.0.0.1:{port['content']}",
            "READY_TIMEOUT": str(READY_LIMIT),
            "SERVICE_BIN_DIR": str(config.binary("Gateway").parent), "SYSTEM_TEST_ARGS": "Tests/system/repository",
            "SYSTEM_TEST_OUTPUT": str(self.state / "system-test"),
        })
        self.target = "system-test" if case.startswith("system-test") else "run"
        argv = (["timeout", "300"] if case == "timeout" else []) + ["make", "--no-print-directory", "-C", str(REPO_ROOT), self.target]
        with open(self.log, "wb") as log:
            # The stop signals at their defaults, as a terminal's shell would leave them.
            self.make = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, preexec_fn=_default_signals)

    def ready(self) -> bool:
        if self.target == "system-test":
            return wait_until(lambda: "collected" in self.log.read_text(errors="replace") or self.make.poll() is not None,
                              READY_LIMIT, 0.2) and self.make.poll() is None

        def answers() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{self.gateway_port}/health/ready", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        return wait_until(lambda: answers() or self.make.poll() is not None, READY_LIMIT, 0.2) and self.make.poll() is None

    def store_ports(self) -> list[int]:
        text = self.log.read_text(errors="replace")
        return [int(port) for port in re.findall(r"(?:PostgreSQL|Redis) on 127\.0\.0\.1:(\d+)", text)]

    def leftovers(self) -> set[int]:
        """The live processes of this run: by marker, state folder or a store's port."""
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            cmdline = _cmdline(entry.name)
            if not cmdline:
                continue  # a kernel thread, or gone
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            cwd = _readlink(entry / "cwd")
            if f" {self.state}/" in cmdline or cwd.startswith(f"{self.state}/") or self.marker.encode() in environ:
                found.add(int(entry.name))
        for port in self.store_ports():
            listing = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
            found.update(int(pid) for pid in re.findall(r"pid=(\d+)", listing))
        return {pid for pid in found if alive(pid)}

    def running(self, program: Path) -> int | None:
        """The pid of this run's process executing PROGRAM."""
        want = program.resolve()
        for pid in self.leftovers():
            if Path(_readlink(Path(f"/proc/{pid}/exe"))) == want:
                return pid
        return None

    def member(self, text: str) -> int | None:
        """The first process of the run's group whose command line holds TEXT."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self.make.pid:
                    continue
            except OSError:
                continue
            if text in _cmdline(entry.name):
                return int(entry.name)
        return None

    def end(self) -> None:
        """Whatever is left is stopped (all of it was started here), and the state goes."""
        if self.make.poll() is None:
            os.killpg(self.make.pid, signal.SIGKILL)
            self.make.wait()
        _reap(self.leftovers())
        shutil.rmtree(self.state, ignore_errors=True)


def _default_signals() -> None:
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _reap(pids: set[int]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        wait_until(lambda: not any(alive(pid) for pid in pids), 2, 0.1)


def _cmdline(pid: int | str) -> str:
    """A process's command line, its arguments space-separated ("" for a kernel thread or a gone process)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _describe(pids: set[int]) -> str:
    return "; ".join(f"{pid} {_cmdline(pid)[:160]}" for pid in sorted(pids))


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_make_run_stops_everything_it_started(case: str) -> None:
    run = Run(case)
    try:
        assert run.ready(), f"the stack did not become ready: {run.log.read_text(errors='replace')[-3000:]}"
        # The check must see every process a run starts, or it could pass while missing what is left.
        stores = [Path(shutil.which("redis-server") or "redis-server"), Path("/usr/lib/postgresql/15/bin/postgres")]
        for program in stores + ([] if run.target == "system-test" else [config.binary(name) for name in config.SERVICES]):
            assert run.running(program) is not None, f"the check does not see {program} of the run"

        group_signals = {"int-group": signal.SIGINT, "term-group": signal.SIGTERM, "hup-group": signal.SIGHUP}
        if case.removeprefix("system-test-") in group_signals:
            os.killpg(run.make.pid, group_signals[case.removeprefix("system-test-")])
        elif case == "timeout":
            run.make.send_signal(signal.SIGTERM)  # timeout's own path when it expires
        elif case in ("term-script", "term-twice", "kill-script"):
            script = run.member("scripts/run.sh")
            assert script is not None, "scripts/run.sh not found in the run's group"
            if case == "term-twice":
                os.killpg(run.make.pid, signal.SIGTERM)
                time.sleep(0.3)
            try:
                os.kill(script, signal.SIGKILL if case == "kill-script" else signal.SIGTERM)
            except ProcessLookupError:
                pass
        else:
            gateway = run.running(config.binary("Gateway"))
            assert gateway is not None
            os.kill(gateway, signal.SIGKILL)

        try:
            status = run.make.wait(STOP_LIMIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{case}: make still running {STOP_LIMIT} s after the stop")
        # A short grace for exits in flight.
        wait_until(lambda: not run.leftovers(), 1, 0.2)
        left = run.leftovers()
        assert not left, f"{case} ({CASES[case]}): left running after make exited {status}: {_describe(left)}"
        if case in ("crash", "kill-script"):
            assert status != 0, f"make exited 0 after {CASES[case]}"
    finally:
        run.end()
