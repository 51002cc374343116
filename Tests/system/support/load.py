"""``closed_loop``: a bounded load through a gateway while things happen to the system behind it.

N connections, one GET at a time each, for a number of seconds. A request fails when it does not answer
200 (with the expected body, if one is given) or its connection fails; a failed request is retried up
to ``retries`` times at once on a new connection, as a client would. Each event runs at its offset from
the start, and its time is recorded, so a test can say where the failures fell; an event that raises
fails the load with its error once the load is over.

    result = closed_loop(url, headers, expect_body="User Content.", seconds=10, events=[(3, kill_replica)])
    result.failed_first_attempt, result.failed_after_retries, result.failure_window, result.events
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence


@dataclass
class LoadResult:
    requests: int
    ok: int
    #: (seconds from the start, cause) of each request's first failed attempt, in time order.
    first_failures: list[tuple[float, str]]
    #: the same for requests that still failed after their retries.
    final_failures: list[tuple[float, str]]
    #: (seconds from the start the event began, seconds it took) for each event, in order.
    events: list[tuple[float, float]]
    latencies_ms: list[float] = field(repr=False)

    @property
    def failed_first_attempt(self) -> int:
        return len(self.first_failures)

    @property
    def failed_after_retries(self) -> int:
        return len(self.final_failures)

    @property
    def failure_window(self) -> tuple[float, float] | None:
        """When the first and the last failed first attempt began, in seconds from the start."""
        return (self.first_failures[0][0], self.first_failures[-1][0]) if self.first_failures else None

    def causes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, cause in self.first_failures:
            counts[cause] = counts.get(cause, 0) + 1
        return counts

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")

    def summary(self) -> str:
        return (f"{self.requests} requests, p50 {self.percentile_ms(0.5):.1f} ms, p99 {self.percentile_ms(0.99):.1f} ms; "
                f"first attempts failed {self.failed_first_attempt} {self.causes() or ''}, window {self.failure_window}, "
                f"after retries {self.failed_after_retries}; events at {self.events}")


def closed_loop(url: str, headers: Mapping[str, str] | None = None, expect_body: str | None = None, seconds: float = 10.0,
                concurrency: int = 16, retries: int = 1, timeout: float = 10.0,
                events: Sequence[tuple[float, Callable[[], object]]] = ()) -> LoadResult:
    target = urllib.parse.urlsplit(url)
    path = target.path + (f"?{target.query}" if target.query else "")
    expected = expect_body.encode() if expect_body is not None else None
    start = time.monotonic()
    deadline = start + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    first: list[tuple[float, str]] = []
    final: list[tuple[float, str]] = []
    counts = [0]
    happened: list[tuple[float, float]] = []
    failures: list[BaseException] = []

    def attempt(connection: http.client.HTTPConnection | None) -> tuple[str | None, http.client.HTTPConnection | None]:
        try:
            if connection is None:
                connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=timeout)
            connection.request("GET", path, headers=dict(headers or {}))
            response = connection.getresponse()
            body = response.read()
            cause = None
            if response.status != 200:
                cause = f"status {response.status}"
            elif expected is not None and body != expected:
                cause = "unexpected body"
            if response.will_close:
                connection.close()
                connection = None
            return cause, connection
        except (OSError, http.client.HTTPException) as error:
            if connection is not None:
                connection.close()
            return f"connection: {type(error).__name__}", None

    def worker() -> None:
        connection = None
        while time.monotonic() < deadline:
            with lock:
                counts[0] += 1
            for tries in range(retries + 1):
                began = time.monotonic()
                cause, connection = attempt(connection)
                with lock:
                    if cause is None:
                        latencies.append((time.monotonic() - began) * 1000)
                    else:
                        if tries == 0:
                            first.append((began - start, cause))
                        if tries == retries:
                            final.append((began - start, cause))
                if cause is None:
                    break
                if connection is not None:  # a retry goes on a new connection, as a client's would
                    connection.close()
                    connection = None
        if connection is not None:
            connection.close()

    def scheduler() -> None:
        for offset, event in events:
            delay = start + offset - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            began = time.monotonic()
            try:
                event()
            except BaseException as error:  # noqa: BLE001 (raised again in the caller's thread)
                failures.append(error)
                return
            happened.append((round(began - start, 3), round(time.monotonic() - began, 3)))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)] + [threading.Thread(target=scheduler)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return LoadResult(requests=counts[0], ok=len(latencies), first_failures=sorted(first), final_failures=sorted(final),
                      events=happened, latencies_ms=latencies)
