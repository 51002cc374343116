"""What a load saw during a failover: answers by kind, the 503 window, anything unexpected."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Timeline:
    """What the load saw: unexpected answers, and by kind the 503s (count, first and last) and the
    last success. With ``opened=False`` the 503s until ``open()`` (a loaded machine's WAIT past its
    bound, a feed past REVOCATION_MAX_LAG: the documented fail-closed answer) are only counted, in
    ``early``, so that the window measured is the event's."""

    unexpected: list[str] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    first_failure: dict[str, float] = field(default_factory=dict)
    last_failure: dict[str, float] = field(default_factory=dict)
    last_success: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    kill_at: float | None = None
    opened: bool = True
    early: dict[str, int] = field(default_factory=dict)

    def open(self) -> None:
        with self.lock:
            self.opened = True

    def success(self, kind: str) -> None:
        with self.lock:
            self.last_success[kind] = time.monotonic()

    def failure(self, kind: str) -> None:
        now = time.monotonic()
        with self.lock:
            if not self.opened:
                self.early[kind] = self.early.get(kind, 0) + 1
                return
            self.failures[kind] = self.failures.get(kind, 0) + 1
            self.first_failure.setdefault(kind, now)
            self.last_failure[kind] = now

    def recovered(self, kind: str) -> bool:
        """It failed after the kill, and succeeded after its last failure."""
        with self.lock:
            return kind in self.last_failure and self.last_success.get(kind, 0) > self.last_failure[kind]

    def odd(self, text: str) -> None:
        with self.lock:
            self.unexpected.append(text)
