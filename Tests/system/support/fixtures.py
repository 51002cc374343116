"""pytest fixtures and hooks of the system tests (loaded by Tests/system/conftest.py).

Fixtures:
- ``make_system``    factory: ``make_system(env={...}, gateways=2, database_url=..., redis_url=...)``
                     starts a System; at teardown every System is checked for crashed processes
                     (a failure with log tails) and stopped.
- ``system``         one default System for the test.
- ``module_system``  one default System shared by a test module (use it with hypothesis, whose
                     @given tests must not take function-scoped fixtures).
- ``private_redis``  a PrivateRedis for the test (pause/resume/kill), stopped and deleted at teardown.
- ``private_postgres`` a PrivatePostgres for the test (pause/resume), stopped and deleted at teardown.
- ``sessions``       a SessionTracker (``track(account)``, ``assert_none_lost(client)``).
- ``compose_stack``  the compose stack compose-test started (support.compose); its tests run only when
                     SYSTEM_TEST_COMPOSE names it, and are deselected otherwise.

Hooks: with SYSTEM_TEST_GATEWAY_URL (an external gateway, support.external), only the tests that
need no more than a default system seen through its gateway are collected, the rest deselected;
the tally's current suite follows the running test; the terminal summary prints the tally
and writes it to ``<output>/tally.json``; SIGTERM ends the run like Ctrl-C, so fixtures still stop
every process they started.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Callable, Iterator

import pytest

from . import config, figures
from .accounts import SessionTracker
from .compose import ComposeStack
from .stores import PrivatePostgres, PrivateRedis
from .system import System, SystemFailure
from .tally import TALLY

SYSTEM_ROOT = Path(__file__).resolve().parent.parent


def _suite_of(item: pytest.Item) -> str:
    try:
        relative = Path(str(item.fspath)).resolve().relative_to(SYSTEM_ROOT)
    except ValueError:
        return "other"
    return relative.parts[0] if len(relative.parts) > 1 else "other"


def pytest_configure() -> None:
    """Creates the output folder; makes SIGTERM behave like Ctrl-C (teardown still runs)."""
    config.output_dir()

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


#: What an external gateway (support.external, SYSTEM_TEST_GATEWAY_URL) stands in for: the system at
#: every default, reached through its gateway alone.
EXTERNAL_FIXTURES = frozenset({"tutorial_system"})
#: Fixtures that start processes or stores of their own (so does every other ``*_system`` fixture:
#: a system with settings of its own).
LOCAL_FIXTURES = frozenset({"system", "private_redis", "private_postgres"})


def runs_against_external_gateway(item: pytest.Item) -> bool:
    """The test needs no more than an external gateway gives: a default system, seen from outside (or,
    with SYSTEM_TEST_COMPOSE, the compose stack's containers too)."""
    names = set(getattr(item, "fixturenames", ()))
    external = EXTERNAL_FIXTURES | ({"compose_stack"} if config.compose_command() else set())
    local = {name for name in names if name in LOCAL_FIXTURES or name.endswith("_system")} - external
    return bool(names & external) and not local


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Against an external gateway, only the tests it can serve run; without a compose stack, none that
    needs one. The others are deselected (and counted as such in pytest's summary), never started
    against the wrong system."""
    if not items:
        return
    if config.external_gateway_url():
        runnable = runs_against_external_gateway
    else:
        runnable = lambda item: "compose_stack" not in getattr(item, "fixturenames", ())  # noqa: E731
    deselected = [item for item in items if not runnable(item)]
    if deselected:
        items[0].config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if runnable(item)]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Counts what this test does in its suite's tally."""
    TALLY.suite = _suite_of(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201 (hook wrapper)
    """Keeps each phase's report on the item, so teardown checks can tell whether the test already failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def call_failed(request: pytest.FixtureRequest) -> bool:
    """True when the requesting test's call phase failed (its teardown should not fail it twice)."""
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Prints the tally and writes it to <output>/tally.json."""
    path = config.output_dir() / "tally.json"
    TALLY.write(path)
    terminalreporter.section("system-test tally")
    for line in TALLY.summary_lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"written to {path}; service logs under {path.parent}")
    measured = figures.lines()
    if measured:
        terminalreporter.section("system-test figures")
        for line in measured:
            terminalreporter.write_line(line)


class _Systems:
    """The Systems one fixture started, checked and stopped together."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.started: list[System] = []

    def start(self, **kwargs) -> System:  # noqa: ANN003 (System's keyword arguments)
        kwargs.setdefault("name", self.owner)
        system = System(**kwargs)
        self.started.append(system)
        return system

    def finish(self, already_failed: bool = False) -> None:
        """Stops every System; raises if a process had died, unless the test already failed."""
        failures = []
        for system in self.started:
            try:
                system.assert_no_crash()
            except SystemFailure as failure:
                failures.append(str(failure))
            system.stop()
        if failures and not already_failed:
            raise SystemFailure("\n\n".join(failures))


@pytest.fixture
def make_system(request: pytest.FixtureRequest) -> Iterator[Callable[..., System]]:
    """Factory of Systems for this test; each is checked for crashes and stopped at teardown."""
    systems = _Systems(request.node.name)
    yield systems.start
    systems.finish(already_failed=call_failed(request))


@pytest.fixture(scope="session")
def compose_stack() -> Iterator[ComposeStack]:
    stack = ComposeStack(config.compose_command() or "", config.external_gateway_url() or "")
    yield stack
    stack.stop()


@pytest.fixture
def system(make_system: Callable[..., System]) -> System:
    """A default System (one gateway, fresh database, the shared Redis)."""
    return make_system()


@pytest.fixture(scope="module")
def module_system(request: pytest.FixtureRequest) -> Iterator[System]:
    """A default System shared by every test of one module."""
    systems = _Systems(Path(str(request.node.fspath)).stem)
    yield systems.start()
    systems.finish()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of this test's own; stopped and deleted at teardown."""
    redis = PrivateRedis()
    yield redis
    redis.stop()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL 15 cluster of this test's own; resumed, stopped and deleted at teardown."""
    postgres = PrivatePostgres()
    yield postgres
    postgres.stop()


@pytest.fixture
def sessions() -> SessionTracker:
    """A SessionTracker for the sessions that must survive the test."""
    return SessionTracker()
