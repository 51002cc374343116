"""A development aid, never used by the tests: serves the web app the way the gateway is to.

Until the gateway serves Sources/Gateway/Resources (``/``, ``/web/<file>``, ``/api/openapi.json``),
this stands in front of a running gateway: ``GET /`` with an ``Accept`` that names text/html gets
web/index.html, ``GET /web/<file>`` a file of that folder, ``GET /api/openapi.json`` the document,
the page files with the gateway's page headers (CSP, nosniff, no-referrer); every other request is
forwarded unchanged to UPSTREAM. Open the printed address in a browser to try the page. Delete this
file once the gateway serves those routes itself.

    python3 Tests/system/webapp/devproxy.py --upstream http://127.0.0.1:8080 --port 16090
"""

from __future__ import annotations

import argparse
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[3]
RESOURCES = REPO_ROOT / "Sources" / "Gateway" / "Resources"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


def prefers_html(accept: str) -> bool:
    """True when ``text/html`` is named in ACCEPT (what browsers send for a page)."""
    return any(part.split(";")[0].strip().lower() == "text/html" for part in accept.split(","))


class DevProxy:
    """The proxy on 127.0.0.1:PORT in a background thread; ``stop()`` ends it."""

    def __init__(self, upstream: str, port: int) -> None:
        target = urlsplit(upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
                pass

            def _local(self, body: bytes, content_type: str, page: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if page:
                    for name, value in PAGE_HEADERS.items():
                        self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _serve_local(self) -> bool:
                path = self.path.split("?", 1)[0]
                if self.command not in ("GET", "HEAD"):
                    return False
                if path == "/" and prefers_html(self.headers.get("Accept", "")):
                    self._local((RESOURCES / "web" / "index.html").read_bytes(), TYPES[".html"], True)
                    return True
                if path == "/api/openapi.json":
                    self._local((RESOURCES / "openapi.json").read_bytes(), "application/json", False)
                    return True
                if path.startswith("/web/"):
                    name = path[len("/web/"):]
                    file = RESOURCES / "web" / name
                    if "/" not in name and file.suffix in TYPES and file.is_file():
                        self._local(file.read_bytes(), TYPES[file.suffix], True)
                        return True
                return False

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                finally:
                    connection.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _handle(self) -> None:
                if not self._serve_local():
                    self._forward()

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="devproxy", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops serving and closes the socket."""
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    """Runs the proxy in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the gateway, e.g. http://127.0.0.1:16010")
    parser.add_argument("--port", type=int, required=True, help="where to listen on 127.0.0.1")
    arguments = parser.parse_args()
    proxy = DevProxy(arguments.upstream, arguments.port)
    print(f"serving the web app on {proxy.url}, forwarding the rest to {arguments.upstream}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        proxy.stop()


if __name__ == "__main__":
    main()
