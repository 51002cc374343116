"""``MailCatcher``: a real SMTP server (compose/images/mail/mailcatcher.py, Debian's aiosmtpd) whose messages a
test reads back, the way a user reads their mail.

    with MailCatcher(folder) as catcher:
        system = make_system(mail=catcher)
        ...
        mail = catcher.wait_for(to="alice@example.com", subject="Reset your password")
        mail.link, mail.token

It runs under Debian's /usr/bin/python3 (which has python3-aiosmtpd), not the tests' venv. ``stop()``
and ``start()`` take it down and bring it back on the same port (an outage); ``kill()`` is SIGKILL.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import config, ports
from .processes import ManagedProcess, wait_until

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "compose" / "images" / "mail" / "mailcatcher.py"
PYTHON = "/usr/bin/python3"
#: A token on a line of its own: 43 base64url characters.
TOKEN_LINE = re.compile(r"^[A-Za-z0-9_-]{43}$")
LINK = re.compile(r"https?://\S+")


class MailFailure(AssertionError):
    """The mail a test waited for did not come, or the mail catcher did not start."""


@dataclass
class Mail:
    """One message as received: its envelope recipients, headers and both parts."""

    path: Path
    raw: bytes
    message: email.message.EmailMessage = field(repr=False)

    @classmethod
    def read(cls, path: Path) -> "Mail":
        raw = path.read_bytes()
        return cls(path, raw, email.message_from_bytes(raw, policy=email.policy.default))

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    @property
    def link(self) -> str | None:
        found = LINK.search(self.text)
        return found.group(0) if found else None

    @property
    def token(self) -> str | None:
        """The token on a line of its own (what API clients read)."""
        found = [line.strip() for line in self.text.splitlines() if TOKEN_LINE.match(line.strip())]
        return found[0] if found else None


class MailCatcher:
    """The SMTP server and the folder it keeps messages in."""

    def __init__(self, folder: Path, extra_args: Sequence[str] = (), name: str = "mail") -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = ports.free_port()
        self.extra_args = list(extra_args)
        self.name = name
        self.process: ManagedProcess | None = None
        self.start()

    @property
    def url(self) -> str:
        scheme = "smtps" if "--implicit-tls" in self.extra_args else "smtp"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts (again) on the same port; returns once it accepts connections."""
        if not Path(PYTHON).exists():
            raise MailFailure(f"{PYTHON} is missing: the mail catcher needs Debian's python3 with python3-aiosmtpd")
        argv = [PYTHON, str(SCRIPT), "--port", str(self.port), "--dir", str(self.folder), "--json", *self.extra_args]
        self.process = ManagedProcess(self.name, argv, {"PATH": "/usr/bin:/bin"}, self.folder.parent / f"{self.name}.log")
        if not self.process.wait_listening(self.port):
            raise MailFailure(f"the mail catcher did not start: {self.process.status_report()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(grace=5)

    def kill(self) -> None:
        if self.process is not None:
            self.process.signal(9)
            self.process.stop(grace=1)

    def __enter__(self) -> "MailCatcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def mails(self) -> list[Mail]:
        """Every message kept so far, oldest first."""
        return [Mail.read(path) for path in sorted(self.folder.glob("[0-9]*.eml"))]

    def matching(self, to: str | None = None, subject: str | None = None) -> list[Mail]:
        return [
            mail for mail in self.mails()
            if (to is None or mail.to.lower() == to.lower()) and (subject is None or mail.subject == subject)
        ]

    def wait_for(self, to: str | None = None, subject: str | None = None, count: int = 1, timeout: float = 15.0) -> Mail:
        """The COUNT-th message to TO with SUBJECT (the newest when more came); fails after TIMEOUT seconds."""
        found: list[Mail] = []

        def arrived() -> bool:
            found[:] = self.matching(to, subject)
            return len(found) >= count

        if not wait_until(arrived, timeout, 0.05):
            raise MailFailure(
                f"no mail #{count} to {to!r} with subject {subject!r} within {timeout}s; have: "
                + json.dumps([(m.to, m.subject) for m in self.mails()])
            )
        return found[count - 1]

    def assert_none(self, to: str, within: float = 1.0, predicate: Callable[[Mail], bool] | None = None) -> None:
        """No mail to TO (matching PREDICATE) arrives within WITHIN seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            unexpected = [m for m in self.matching(to) if predicate is None or predicate(m)]
            assert not unexpected, f"unexpected mail to {to}: {[m.subject for m in unexpected]}"
            time.sleep(0.05)


def catcher_for(name: str, extra_args: Sequence[str] = ()) -> MailCatcher:
    """A MailCatcher with its folder under the run's output."""
    return MailCatcher(config.output_dir() / "mail" / f"{name}-{int(time.time() * 1000) % 10**8}", extra_args)
