"""The gateway's routes as its Swift sources declare them, for comparing with the OpenAPI document.

Read from ``Sources/Gateway`` and the shared health controller: the route table's
``GatewayRoute("...", [.GET, ...], ...)`` entries (argument labels optional) and every literal
``router.get("...")`` / ``router.on("...", method: .x)`` registration. Path parameters (``:id``,
``{id}``) become ``{}`` so names need not match; HEAD is left out, because the gateway answers HEAD
wherever it answers GET (the document is checked for that rule separately, and the live tests check
the gateway keeps it).
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SOURCE_FOLDERS = (REPO_ROOT / "Sources" / "Gateway", REPO_ROOT / "Sources" / "Common" / "Health")

_TABLE_ENTRY = re.compile(
    r'GatewayRoute\(\s*(?:path:\s*)?"(?P<path>[^"]+)"\s*,\s*(?:methods:\s*)?\[(?P<methods>[^\]]*)\]'
)
_REGISTRATION = re.compile(
    r'\brouter\.(?P<method>get|post|put|patch|delete|head)\(\s*(?:RouterPath\()?"(?P<path>[^"]*)"'
)
_ON_REGISTRATION = re.compile(r'\brouter\.on\(\s*(?:RouterPath\()?"(?P<path>[^"]*)"\)?\s*,\s*method:\s*\.(?P<method>\w+)')
_PARAMETER = re.compile(r"\{[^}/]+\}|:[A-Za-z_][A-Za-z0-9_]*")


def normalise(path: str) -> str:
    """PATH with a leading slash and every parameter written ``{}``."""
    path = path if path.startswith("/") else "/" + path
    return _PARAMETER.sub("{}", path)


def source_routes() -> set[tuple[str, str]]:
    """(normalised path, METHOD) of every route the sources declare, HEAD left out."""
    routes: set[tuple[str, str]] = set()
    for folder in SOURCE_FOLDERS:
        for source in sorted(folder.rglob("*.swift")):
            text = source.read_text(encoding="utf-8")
            for match in _TABLE_ENTRY.finditer(text):
                for method in re.findall(r"\.(\w+)", match["methods"]):
                    routes.add((normalise(match["path"]), method.upper()))
            for pattern in (_REGISTRATION, _ON_REGISTRATION):
                for match in pattern.finditer(text):
                    routes.add((normalise(match["path"]), match["method"].upper()))
    return {(path, method) for path, method in routes if method != "HEAD"}


def document_routes(document: dict) -> set[tuple[str, str]]:
    """(normalised path, METHOD) of every operation of DOCUMENT, HEAD left out."""
    methods = {"get", "put", "post", "delete", "options", "patch", "trace"}
    return {
        (normalise(path), method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    }
