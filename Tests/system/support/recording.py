"""A stand-in service that keeps every byte the gateway sends it and reads them as strictly as a careful
server would: the far side of the gateway, for tests that check what a service receives.

    upstream = RecordingUpstream()
    ...  # point a gateway's AUTH_SERVICE_URL / CONTENT_SERVICE_URL at upstream.url
    mark = upstream.mark()
    ...  # drive the gateway
    received = upstream.since(mark)      # the requests that arrived, in order
    upstream.violations                  # bytes that were not a well-framed request

Every request it reads is answered 200 with ``x-upstream-seq: N`` and the body ``{"seq": N}``, N counting
from 1 across all stand-ins of the run, so a client's answers can be matched to what the services received.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

from . import ports

_seq_lock = threading.Lock()
_seq = 0


def _next_seq() -> int:
    global _seq
    with _seq_lock:
        _seq += 1
        return _seq


@dataclass
class Received:
    """One request as the stand-in read it."""

    seq: int
    connection: int
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    raw: bytes

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass
class _Connection:
    number: int
    sock: socket.socket
    buffer: bytes = b""
    open: bool = True


@dataclass
class RecordingUpstream:
    """The stand-in service, listening on a free port of SYSTEM_TEST_PORTS until ``stop()``."""

    requests: list[Received] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = ports.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._server = socket.create_server(("127.0.0.1", self.port), backlog=128)
        self._server.settimeout(0.2)
        self._running = True
        self._thread = threading.Thread(target=self._accept, name=f"recording-{self.port}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ queries

    def mark(self) -> int:
        """A point in the record; ``since(mark)`` is what arrived after it."""
        with self._lock:
            return len(self.requests)

    def since(self, mark: int) -> list[Received]:
        with self._lock:
            return list(self.requests[mark:])

    def unread_bytes(self) -> int:
        """Bytes received on open connections that are not (yet) a whole request."""
        with self._lock:
            return sum(len(connection.buffer) for connection in self._connections if connection.open)

    # ------------------------------------------------------------ serving

    def _accept(self) -> None:
        while self._running:
            try:
                sock, _ = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                connection = _Connection(len(self._connections), sock)
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: _Connection) -> None:
        sock = connection.sock
        try:
            while self._running:
                data = sock.recv(65536)
                if not data:
                    break
                with self._lock:
                    connection.buffer += data
                    answers = self._read_requests(connection)
                if answers is None:
                    break
                for answer in answers:
                    sock.sendall(answer)
        except OSError:
            pass
        finally:
            with self._lock:
                connection.open = False
                if connection.buffer:
                    self.violations.append(f"connection {connection.number} closed with {len(connection.buffer)} unread bytes: "
                                           f"{connection.buffer[:200]!r}")
            sock.close()

    def _read_requests(self, connection: _Connection) -> list[bytes] | None:
        """Takes every whole request off the connection's buffer; None (and a violation) if the bytes are
        not a request framed as the gateway must frame it."""
        answers = []
        while True:
            end = connection.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(connection.buffer) > 65536:
                    return self._violation(connection, "a head of over 64 KiB")
                return answers
            head = connection.buffer[:end].decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3 or parts[2] != "HTTP/1.1" or not parts[1].startswith("/"):
                return self._violation(connection, f"request line {lines[0]!r}")
            headers = []
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep or not name or name != name.strip() or "\n" in line or "\r" in line:
                    return self._violation(connection, f"field line {line!r}")
                headers.append((name, value.strip()))
            names = [name.lower() for name, _ in headers]
            if "transfer-encoding" in names:
                return self._violation(connection, "Transfer-Encoding from the gateway")
            lengths = [value for name, value in headers if name.lower() == "content-length"]
            if len(lengths) > 1 or (lengths and not lengths[0].isdigit()):
                return self._violation(connection, f"Content-Length {lengths}")
            length = int(lengths[0]) if lengths else 0
            start = end + 4
            if len(connection.buffer) < start + length:
                return answers
            raw = connection.buffer[:start + length]
            body = connection.buffer[start:start + length]
            connection.buffer = connection.buffer[start + length:]
            seq = _next_seq()
            self.requests.append(Received(seq, connection.number, parts[0], parts[1], headers, body, raw))
            payload = b'{"seq":%d}' % seq
            answers.append(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-upstream-seq: %d\r\nContent-Length: %d\r\n\r\n%s"
                           % (seq, len(payload), payload))

    def _violation(self, connection: _Connection, what: str) -> None:
        self.violations.append(f"connection {connection.number}: {what}; bytes {connection.buffer[:300]!r}")
        connection.buffer = b""
        return None

    def stop(self) -> None:
        self._running = False
        self._server.close()
        with self._lock:
            for connection in self._connections:
                try:
                    connection.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
