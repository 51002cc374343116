"""What the generated-body tests share: sending one example, reporting its failure, opening a batch."""

from __future__ import annotations

from typing import Callable

from support.accounts import SessionTracker, create_account
from support.http import Client, Reply
from support.system import System

from .bodies import JSON_TYPE

#: Bodies over the 16 KiB the auth service read in effect before issue 7 (each killed the gateway on
#: signout: the service answered before the body was through), and near the 64 KiB limit.
PAD_20K = '{"pad":"%s"}' % ("x" * 20_000)
PAD_60K = '{"pad":"%s"}' % ("x" * 60_000)

#: Known offenders from issue 7, always tried first.
COMBINING_USERNAME = "".join(letter + "\u0301" * 90 for letter in "abc")  # 3 characters, 273 code points
COMBINING_EMAIL = "a" + "\u0301" * 260 + "@example.com"  # 13 characters, 273 code points


def json_body(text: str) -> tuple[str, bytes]:
    """TEXT as a JSON body: its content type and bytes."""
    return JSON_TYPE, text.encode("utf-8")


def send(client: Client, path: str, content_type: str | None, body: bytes, headers: dict[str, str] | None = None,
         method: str = "POST") -> Reply:
    """One request with BODY as CONTENT_TYPE (none when it is None)."""
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return client.request(method, path, data=body, headers=all_headers)


def run_example(system: System, content_type: str | None, body: bytes, run: Callable[[], None]) -> None:
    """Runs one example; any failure (a broken rule, a refused connection) is re-raised from this one
    place as an AssertionError naming the body and whether a process died, so hypothesis reports it as
    one consistent failure even when its replay meets a dead gateway."""
    try:
        run()
        system.assert_no_crash()
    except Exception as error:  # noqa: BLE001 (every failure of the example is reported the same way)
        dead = [process.status_report(6) for process in system.crashed()]
        note = f"\nprocess(es) died: {dead}" if dead else ""
        raise AssertionError(f"{type(error).__name__}: {error}\n  body ({content_type}): {body[:300]!r}{note}") from None


def is_client_error(reply: Reply) -> bool:
    """A 4xx."""
    return 400 <= reply.status < 500


def open_batch(system: System) -> SessionTracker:
    """A canary session that every batch must leave alive."""
    tracker = SessionTracker()
    tracker.track(create_account(system.http))
    return tracker
