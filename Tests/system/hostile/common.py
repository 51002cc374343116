"""What the hostile tests share: the routes, raw-socket expectations and the after-batch check."""

from __future__ import annotations

from support.accounts import SessionTracker
from support.checks import check_response
from support.rawhttp import Outcome
from support.system import System
from support.tally import TALLY

#: Every route of the contract that answers GET (and so must answer HEAD), with whether it needs a token.
GET_ROUTES: list[tuple[str, bool]] = [
    ("/", False),
    ("/api/test/all", False),
    ("/.well-known/jwks.json", False),
    ("/api/test/user", True),
    ("/api/test/mod", True),
    ("/api/test/admin", True),
    ("/health/live", False),
    ("/health/ready", False),
]
#: Every route of the contract that takes a body.
POST_ROUTES = ["/api/auth/signup", "/api/auth/signin", "/api/auth/refreshtoken", "/api/auth/signout"]


def expect_answer(outcome: Outcome, statuses: set[int] | tuple[int, ...], method: str, target: str, what: str) -> None:
    """OUTCOME is a whole answer with one of STATUSES that passes the shared checks (JSON error body...)."""
    TALLY.add("cases")
    assert outcome.kind == "answered", f"{what}: expected {sorted(statuses)} JSON, but {outcome.describe()}"
    try:
        check_response(method, target, outcome.status or 0, outcome.body, count=False)
    except AssertionError as error:
        raise AssertionError(f"{what}: {error}") from None
    assert outcome.status in statuses, f"{what}: expected {sorted(statuses)}, but {outcome.describe()}"


def expect_closed(outcome: Outcome, what: str) -> None:
    """OUTCOME is a close without any byte of answer."""
    TALLY.add("cases")
    assert outcome.kind == "closed" and not outcome.raw, f"{what}: expected a silent close, but {outcome.describe()}"


def expect_open(outcome: Outcome, what: str) -> None:
    """OUTCOME is a connection still open, nothing received."""
    TALLY.add("cases")
    assert outcome.kind == "open" and not outcome.raw, f"{what}: expected the connection still open, but {outcome.describe()}"


def after_batch(system: System, sessions: SessionTracker | None = None) -> None:
    """Every process answers /health/live and every tracked session still refreshes."""
    system.assert_all_live()
    if sessions is not None:
        sessions.assert_none_lost(system.client())
