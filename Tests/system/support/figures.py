"""Figures a test measured (a failover's unavailability window, ...), printed at the end of the run.

``record("failover", "refresh unavailable for 2.31 s")`` appends a line to ``<output>/figures.txt``;
the terminal summary prints them (``support.fixtures``), so a run's report carries its numbers.
"""

from __future__ import annotations

from . import config


def path():  # noqa: ANN201 (a Path)
    """Where the figures of this run are written."""
    return config.output_dir() / "figures.txt"


def record(topic: str, text: str) -> None:
    """Appends ``TOPIC: TEXT`` to this run's figures."""
    with open(path(), "a") as figures:
        figures.write(f"{topic}: {text}\n")


def lines() -> list[str]:
    """Every figure recorded in this run, in order."""
    try:
        return path().read_text().splitlines()
    except OSError:
        return []
