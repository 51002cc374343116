"""A raw-socket HTTP/1.x client for protocol cases: exact bytes, pauses, half-close, deadlines.

    with RawConnection(system.gateway_port) as conn:
        conn.send(b"POST /api/auth/refreshtoken HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\n{}")
        outcome = conn.read_response(deadline=5)
        assert outcome.kind == "answered" and outcome.status == 408, outcome.describe()

An ``Outcome`` says which of three things happened within the deadline: ``answered`` (a whole
response was parsed: status, headers, body), ``closed`` (the server closed or reset the connection
without a complete response) or ``open`` (nothing conclusive yet; the connection is still open).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from .checks import check_response


class ProtocolError(AssertionError):
    """The server sent bytes that are not a valid HTTP/1.x response."""


@dataclass
class Outcome:
    """What a read within a deadline saw."""

    kind: str  # "answered" | "closed" | "open"
    elapsed: float
    status: int | None = None
    reason: str = ""
    version: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header NAME (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        """Every value of header NAME, in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def describe(self) -> str:
        """'answered 400 b'...' after 0.01s', 'closed without answer after 1.20s (got b'')', ..."""
        if self.kind == "answered":
            return f"answered {self.status} {self.body[:200]!r} after {self.elapsed:.2f}s"
        if self.kind == "closed":
            return f"closed without answer after {self.elapsed:.2f}s (got {self.raw[:200]!r})"
        return f"still open after {self.elapsed:.2f}s (got {self.raw[:200]!r})"

    def check(self, method: str, target: str) -> None:
        """Applies the shared rules (checks.check_response) to an answered outcome."""
        if self.kind == "answered" and self.status is not None:
            check_response(method, target, self.status, self.body)


class RawConnection:
    """One TCP connection to 127.0.0.1:PORT; bytes kept between reads so pipelined answers parse in turn."""

    def __init__(self, port: int, host: str = "127.0.0.1", connect_timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.peer_closed = False
        self.opened = time.monotonic()

    # --------------------------------------------------------------- sending

    def send(self, data: bytes) -> None:
        """Sends DATA at once. A server that already closed makes this raise (BrokenPipe/Reset)."""
        self.sock.sendall(data)

    def try_send(self, data: bytes) -> bool:
        """Sends DATA; False instead of an exception when the server has closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def send_slowly(self, parts: list[bytes], pause: float) -> None:
        """Sends each of PARTS with PAUSE seconds between them."""
        for index, part in enumerate(parts):
            if index:
                time.sleep(pause)
            self.sock.sendall(part)

    def half_close(self) -> None:
        """Shuts the sending side (FIN): the server sees end of input, the reading side stays open."""
        self.sock.shutdown(socket.SHUT_WR)

    # --------------------------------------------------------------- reading

    def _fill(self, deadline: float) -> bool:
        """Reads more bytes before DEADLINE (monotonic); False on timeout, sets peer_closed on EOF/reset."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.peer_closed:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            self.peer_closed = True
            return False
        if not chunk:
            self.peer_closed = True
            return False
        self.buffer += chunk
        return True

    def read_response(self, deadline: float = 5.0, head: bool = False) -> Outcome:
        """Waits up to DEADLINE seconds for one whole response (HEAD=True: the request was HEAD, no body).

        Interim 1xx responses are skipped. Bytes after the response stay buffered for the next read.
        """
        started = time.monotonic()
        until = started + deadline
        while True:
            parsed = self._parse(head, complete_on_close=self.peer_closed)
            if parsed is not None:
                outcome, used = parsed
                self.buffer = self.buffer[used:]
                outcome.elapsed = time.monotonic() - started
                if outcome.status is not None and 100 <= outcome.status < 200 and outcome.status != 101:
                    continue
                return outcome
            if self.peer_closed:
                return Outcome("closed", time.monotonic() - started, raw=self.buffer)
            if not self._fill(until):
                if self.peer_closed:
                    continue  # parse once more: a close-delimited body may now be complete
                return Outcome("open", time.monotonic() - started, raw=self.buffer)

    def read_responses(self, count: int, deadline: float = 5.0, head: bool = False) -> list[Outcome]:
        """Up to COUNT responses in order (pipelining); stops at the first that is not 'answered'."""
        until = time.monotonic() + deadline
        outcomes = []
        for _ in range(count):
            outcome = self.read_response(max(0.0, until - time.monotonic()), head=head)
            outcomes.append(outcome)
            if outcome.kind != "answered":
                break
        return outcomes

    def wait_closed(self, timeout: float) -> Outcome:
        """Waits up to TIMEOUT seconds for the server to close; 'closed' or 'open'. Extra bytes are kept.

        If a complete response arrives first it is returned as 'answered' (a 408 before the close).
        """
        started = time.monotonic()
        until = started + timeout
        while not self.peer_closed:
            parsed = self._parse(False, complete_on_close=False)
            if parsed is not None:
                outcome, used = parsed
                self.buffer = self.buffer[used:]
                outcome.elapsed = time.monotonic() - started
                return outcome
            if not self._fill(until) and not self.peer_closed:
                return Outcome("open", time.monotonic() - started, raw=self.buffer)
        parsed = self._parse(False, complete_on_close=True)
        if parsed is not None:
            outcome, used = parsed
            self.buffer = self.buffer[used:]
            outcome.elapsed = time.monotonic() - started
            return outcome
        return Outcome("closed", time.monotonic() - started, raw=self.buffer)

    def _parse(self, head: bool, complete_on_close: bool) -> tuple[Outcome, int] | None:
        """One response from the front of the buffer and the bytes it used, or None while incomplete."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = self.buffer[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0]!r} (buffer {self.buffer[:200]!r})")
        status = int(parts[1])
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise ProtocolError(f"bad header line {line!r}")
            headers.append((name.strip(), value.strip()))
        outcome = Outcome("answered", 0.0, status=status, reason=parts[2] if len(parts) > 2 else "",
                          version=parts[0], headers=headers)
        start = end + 4
        lower = {key.lower(): value for key, value in headers}
        if head or 100 <= status < 200 or status in (204, 304):
            outcome.raw = self.buffer[:start]
            return outcome, start
        if "chunked" in lower.get("transfer-encoding", "").lower():
            position, body = start, b""
            while True:
                line_end = self.buffer.find(b"\r\n", position)
                if line_end < 0:
                    return None
                size = int(self.buffer[position:line_end].split(b";")[0].strip() or b"0", 16)
                position = line_end + 2
                if size == 0:
                    trailer_end = self.buffer.find(b"\r\n\r\n", position - 2)
                    if trailer_end < 0:
                        return None
                    used = trailer_end + 4
                    outcome.body, outcome.raw = body, self.buffer[:used]
                    return outcome, used
                if len(self.buffer) < position + size + 2:
                    return None
                body += self.buffer[position:position + size]
                position += size + 2
        if "content-length" in lower:
            length = int(lower["content-length"])
            if len(self.buffer) < start + length:
                return None
            outcome.body, outcome.raw = self.buffer[start:start + length], self.buffer[:start + length]
            return outcome, start + length
        if not complete_on_close:
            return None  # close-delimited body: complete only once the server closes
        outcome.body, outcome.raw = self.buffer[start:], self.buffer
        return outcome, len(self.buffer)

    # ----------------------------------------------------------------- close

    def close(self) -> None:
        """Closes the socket."""
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def request_bytes(method: str, target: str, headers: list[tuple[str, str]] | None = None,
                  body: bytes = b"", version: str = "HTTP/1.1", host: str | None = "127.0.0.1") -> bytes:
    """The bytes of one request; a Host header first unless HOST is None; no Content-Length is added."""
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers or []]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
