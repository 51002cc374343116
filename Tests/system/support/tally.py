"""Counters of one system-test run, written to ``<output>/tally.json`` and printed at the end.

Counted: ``cases`` (answers checked and raw-socket cases run), ``crashes`` (service processes that
exited without being asked), ``server_errors`` (5xx other than 503), ``undocumented_503`` (503 without
the documented body), ``non_json_errors`` (a 4xx/5xx whose body is not JSON with a string
``message``), ``lost_sessions`` (a session that should live but no longer refreshes). Each is kept for
the whole run and per suite (the folder under Tests/system the test lives in).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

COUNTERS = ("cases", "crashes", "server_errors", "undocumented_503", "non_json_errors", "lost_sessions")
FAILURE_COUNTERS = COUNTERS[1:]


class Tally:
    """Thread-safe counters, overall and per suite."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.suite = "other"
        self.total: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.by_suite: dict[str, dict[str, int]] = {}
        self.examples: dict[str, list[str]] = {name: [] for name in FAILURE_COUNTERS}

    def add(self, counter: str, amount: int = 1, example: str | None = None) -> None:
        """Adds AMOUNT to COUNTER for the run and for the current suite; keeps a few EXAMPLEs."""
        if counter not in self.total:
            raise KeyError(f"unknown tally counter {counter!r}")
        with self._lock:
            self.total[counter] += amount
            suite = self.by_suite.setdefault(self.suite, dict.fromkeys(COUNTERS, 0))
            suite[counter] += amount
            if example is not None and counter in self.examples and len(self.examples[counter]) < 20:
                self.examples[counter].append(f"[{self.suite}] {example}")

    def as_dict(self) -> dict:
        """Everything, as written to tally.json."""
        with self._lock:
            return {
                "total": dict(self.total),
                "by_suite": {name: dict(values) for name, values in sorted(self.by_suite.items())},
                "examples": {name: list(values) for name, values in self.examples.items() if values},
            }

    def write(self, path: Path) -> None:
        """Writes as_dict() as JSON to PATH."""
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n")

    def summary_lines(self) -> list[str]:
        """One line for the run and one per suite, e.g. 'hostile: cases 812, crashes 0, ...'."""
        data = self.as_dict()

        def line(name: str, values: dict[str, int]) -> str:
            return f"{name}: " + ", ".join(f"{key} {values[key]}" for key in COUNTERS)

        lines = [line("all", data["total"])]
        lines += [line(name, values) for name, values in data["by_suite"].items()]
        for counter, examples in data["examples"].items():
            lines.append(f"first {counter}:")
            lines += [f"  {example}" for example in examples[:5]]
        return lines


#: The one tally of this run.
TALLY = Tally()
