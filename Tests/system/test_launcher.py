"""The launcher (support.launcher) that make run, make test and the benchmarks get their stores (and the
benchmarks their processes) from: what it starts answers; however the script that drives it ends (its
input closed, SIGTERM), nothing it started outlives it; make run's kept stores keep their data."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from support import config
from support.processes import accepts, alive, wait_until
from support.stores import psql

SUPPORT_PARENT = Path(__file__).resolve().parent


@pytest.fixture
def folder() -> Iterator[Path]:
    """The launcher's folder, as the bench's: one the postgres user may enter (pytest's tmp_path is not)."""
    path = Path(tempfile.mkdtemp(prefix="launcher-"))
    path.chmod(0o755)
    yield path
    # A failed test may leave a killed run's kept stores running: end them by their pid files; a kept
    # cluster's /tmp fallback goes too.
    fallbacks = [Path(record.read_text().strip()) for record in path.glob("**/postgres.path")]
    for place in [path, *fallbacks]:
        for pid_file in [*place.glob("**/postmaster.pid"), *place.glob("**/redis.pid")]:
            pid = pid_file.read_text().split()[0]
            if pid.isdigit() and alive(int(pid)):
                os.kill(int(pid), signal.SIGKILL)
    for place in [path, *fallbacks]:
        shutil.rmtree(place, ignore_errors=True)


class Driver:
    """A launcher run as the bench runs it: commands on its stdin, one answer a line on its stdout."""

    def __init__(self, folder: Path) -> None:
        (folder / "logs").mkdir(parents=True)
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "support.launcher", str(folder)],
            env={**os.environ, "PYTHONPATH": str(SUPPORT_PARENT), "SYSTEM_TEST_OUTPUT": str(folder / "harness")},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=folder,
        )

    def ask(self, *fields: str) -> str:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.popen.stdin.write("\t".join(fields) + "\n")
        self.popen.stdin.flush()
        return self.popen.stdout.readline().rstrip("\n")

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=10)


def _start_everything(driver: Driver) -> tuple[list[int], list[int]]:
    """Stores, a web server and a sleeper through DRIVER; their pids and the ports that must close."""
    database_url, redis_url = driver.ask("postgres"), driver.ask("redis")
    store_ports = [int(database_url.rsplit(":", 1)[1].split("/")[0]), int(redis_url.rsplit(":", 1)[1])]
    assert all(accepts(port) for port in store_ports), (database_url, redis_url)
    port = driver.ask("port")
    web = driver.ask("start", "web", "GREETING=hello", "--", sys.executable, "-m", "http.server", "--bind",
                     "127.0.0.1", port)
    assert int(driver.ask("http", "web", f"http://127.0.0.1:{port}/", "20")) >= 0
    sleeper = driver.ask("start", "sleeper", "--", "sleep", "600")
    assert driver.ask("check") == "ok"
    return [int(web), int(sleeper)], [*store_ports, int(port)]


@pytest.mark.parametrize("ending", ["end of input", "SIGTERM"])
def test_nothing_the_launcher_started_outlives_it(folder: Path, ending: str) -> None:
    """Every process and both stores are gone, their ports closed and their data folders deleted, once the
    launcher's input ends (the bench script ended, however) or it gets SIGTERM (sent to the whole group)."""
    driver = Driver(folder)
    try:
        pids, open_ports = _start_everything(driver)
        if ending == "SIGTERM":
            driver.popen.send_signal(signal.SIGTERM)
        else:
            assert driver.popen.stdin is not None
            driver.popen.stdin.close()
        driver.popen.wait(timeout=60)
        assert not [pid for pid in pids if alive(pid)]
        assert not [port for port in open_ports if accepts(port)]
        folders = [line.split(" ", 1)[1] for line in (folder / "harness" / "cleanup.txt").read_text().splitlines()
                   if line.startswith("dir ")]
        assert len(folders) == 2 and not [folder for folder in folders if Path(folder).exists()], folders
    finally:
        driver.close()


def test_a_process_that_exits_on_its_own_is_reported_and_bad_commands_get_an_error(folder: Path) -> None:
    """``check`` names a process that exited by itself with its status and log; a process started with
    exactly the given settings sees them (and no other of the caller's); a command the launcher cannot
    carry out gets ``error ...`` and the launcher goes on answering."""
    driver = Driver(folder)
    try:
        assert driver.ask("start", "talker", "GREETING=hello world", "--", "sh", "-c",
                          'echo "$GREETING/${SYSTEM_TEST_OUTPUT:-unset}"; exit 3').isdigit()
        assert wait_until(lambda: driver.ask("check") != "ok", 10)
        report = driver.ask("check")
        assert report.startswith("error talker") and "exited with status 3" in report, report
        assert "hello world/unset" in report, report
        assert driver.ask("stop", "talker") == "exited with status 3"
        for command in [("start", "x", "sleep", "1"), ("http", "nobody", "http://127.0.0.1:1/", "1"),
                        ("launch",), ("start", "talker", "--", "true"), ("start", "y", "NOEQUALS", "--", "true")]:
            assert driver.ask(*command).startswith("error "), command
        assert driver.ask("port").isdigit()
        assert int(driver.ask("port")) in config.port_range()
    finally:
        driver.close()


@pytest.mark.parametrize("place", ["enterable", "behind a folder of mode 700"])
def test_kept_stores_keep_their_data_and_replace_a_killed_runs_servers(folder: Path, place: str) -> None:
    """``postgres FOLDER`` / ``redis FOLDER`` (make run's): what one run wrote, the next reads, with the same
    password; after a run killed outright (its stores left running on the data), the next run stops
    those servers and starts on the same data. Where the postgres user cannot enter the state folder (a
    home folder of mode 700), the cluster lives in the /tmp folder the state records, run after run."""
    parent = folder / "home"
    parent.mkdir()
    parent.chmod(0o755 if place == "enterable" else 0o700)
    state = parent / "state"
    state.mkdir()
    first = Driver(folder / "first")
    try:
        database_url, redis_url = first.ask("postgres", str(state)), first.ask("redis", str(state))
        assert database_url.startswith("postgres://auth:") and redis_url.startswith("redis://"), (database_url, redis_url)
        psql(database_url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('first run')")
        _redis(redis_url, "SET", "kept", "first run")
        cluster = state
        if place != "enterable":
            cluster = Path((state / "postgres.path").read_text().strip())
            assert cluster.parent == Path("/tmp") and cluster.name.startswith("authstack."), cluster
        left = [int((cluster / "postgres" / "data" / "postmaster.pid").read_text().split()[0]),
                int((state / "redis" / "redis.pid").read_text())]
        first.popen.kill()  # a killed make run: its stores go on running
        first.popen.wait(timeout=10)
        assert all(alive(pid) for pid in left)
    finally:
        first.close()

    second = Driver(folder / "second")
    try:
        database_url, redis_url = second.ask("postgres", str(state)), second.ask("redis", str(state))
        assert not [pid for pid in left if alive(pid)], "the killed run's servers still run"
        assert psql(database_url, "SELECT note FROM kept") == "first run"
        assert _redis(redis_url, "GET", "kept") == "first run"
        assert oct((state / "postgres-password").stat().st_mode & 0o777) == "0o600"
        assert second.ask("check") == "ok"
        assert second.popen.stdin is not None
        second.popen.stdin.close()
        second.popen.wait(timeout=60)
        assert (cluster / "postgres" / "data" / "PG_VERSION").exists() and (state / "redis").is_dir()
        assert (place == "enterable") == (not (state / "postgres.path").exists())
    finally:
        second.close()


def _redis(url: str, *command: str) -> str:
    done = subprocess.run(["redis-cli", "-u", url, *command], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
