"""``TraceCatcher``: the OTLP/HTTP trace receiver of compose/images/traces/tracecatcher.py as a process of the
run, whose spans (one JSON line each in its log) a test reads back.

    catcher = TraceCatcher(folder)
    system = System(env=catcher.exporting())
    ...
    catcher.spans  # every span received so far: service, name, trace, id, parent, kind, ms, attributes
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import ports
from .processes import ManagedProcess

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "compose" / "images" / "traces" / "tracecatcher.py"


class TraceCatcher:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = ports.free_port()
        self.log = folder / "traces.log"
        self.process = ManagedProcess("traces", [sys.executable, str(SCRIPT), "--port", str(self.port)], {}, self.log)
        if not self.process.wait_listening(self.port):
            raise AssertionError(f"the trace catcher did not start: {self.process.status_report()}")

    def exporting(self) -> dict[str, str]:
        """The settings that send a process's spans here, at once."""
        return {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.port}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            # Batches sent every 100 ms instead of every 5 s: the tests wait for them.
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }

    @property
    def text(self) -> str:
        """Everything received, as printed."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    @property
    def spans(self) -> list[dict]:
        # The last piece is empty, or a line still being written.
        return [json.loads(line) for line in self.text.split("\n")[:-1] if line.startswith("{")]

    def stop(self) -> None:
        self.process.stop(grace=5)
