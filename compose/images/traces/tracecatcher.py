#!/usr/bin/env python3
"""A trace receiver for trying the stack: an OTLP/HTTP endpoint (``POST /v1/traces``, JSON bodies, as
``OTEL_EXPORTER_OTLP_PROTOCOL=http/json`` sends them) that prints each span it receives as one JSON
line: service, name, trace, id, parent (hex), kind, duration and attributes. Standard library only.

    tracecatcher.py [--host 127.0.0.1] [--port 4318]

Debian and PyPI package no OpenTelemetry collector or trace viewer, so compose's observability file
runs this (``docker compose logs traces``) and the system tests read it; for anything more, point
``OTEL_EXPORTER_OTLP_ENDPOINT`` at a real collector.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def identifier(value: str) -> str:
    """A trace or span id as hex: OTLP/JSON writes hex, a plain protobuf JSON mapping base64."""
    if value and len(value) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    return base64.b64decode(value).hex() if value else ""


def attribute_value(attribute: dict) -> object:
    value = attribute.get("value", {})
    for kind in ("stringValue", "intValue", "boolValue", "doubleValue"):
        if kind in value:
            return int(value[kind]) if kind == "intValue" else value[kind]
    return value


def spans_of(document: dict) -> list[dict]:
    """Every span of one export, flattened with its resource's service name."""
    spans = []
    for resource_spans in document.get("resourceSpans", []):
        resource = {a["key"]: attribute_value(a) for a in resource_spans.get("resource", {}).get("attributes", [])}
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                start, end = int(span.get("startTimeUnixNano", 0)), int(span.get("endTimeUnixNano", 0))
                spans.append({
                    "service": resource.get("service.name"),
                    "name": span.get("name"),
                    "trace": identifier(span.get("traceId", "")),
                    "id": identifier(span.get("spanId", "")),
                    "parent": identifier(span.get("parentSpanId", "")),
                    "kind": span.get("kind"),
                    "ms": round((end - start) / 1e6, 3),
                    "attributes": {a["key"]: attribute_value(a) for a in span.get("attributes", [])},
                })
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    args = parser.parse_args()
    printing = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = 404
            if self.path == "/v1/traces":
                try:
                    lines = [json.dumps(span, sort_keys=True) for span in spans_of(json.loads(body))]
                    status = 200
                except (ValueError, AttributeError, TypeError):
                    lines, status = [], 400
                with printing:
                    for line in lines:
                        print(line, flush=True)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"tracecatcher: OTLP/HTTP JSON on {args.host}:{server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
