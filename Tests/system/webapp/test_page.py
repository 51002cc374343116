"""How the gateway serves the web app, and what the app's files may contain.

Browsers asking for HTML get the page with its security headers; API clients keep the JSON welcome;
the page's files come with their content types; nothing outside Resources/web is reachable through
/web/. The files themselves need nothing the Content-Security-Policy forbids: no inline script or
style, no eval, nothing from another origin.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from support.system import System

WEB_DIR = Path(__file__).resolve().parents[3] / "Sources" / "Gateway" / "Resources" / "web"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ASSET_TYPES = {"app.js": ("text/javascript", "application/javascript"), "app.css": ("text/css",),
               "icon.svg": ("image/svg+xml",)}


def media_type(value: str) -> str:
    """The media type of a Content-Type value, without parameters."""
    return value.split(";")[0].strip().lower()


def test_browsers_get_the_page_with_its_security_headers(webapp_system: System) -> None:
    """GET / asking for HTML answers index.html as text/html with the CSP, nosniff and no-referrer."""
    reply = webapp_system.http.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert reply.status == 200, str(reply)
    assert media_type(reply.headers.get("Content-Type", "")) == "text/html", reply.headers
    assert "charset=utf-8" in reply.headers["Content-Type"].lower().replace(" ", "")
    assert reply.body == (WEB_DIR / "index.html").read_bytes()
    assert reply.headers.get("Content-Security-Policy") == CSP
    assert reply.headers.get("X-Content-Type-Options") == "nosniff"
    assert reply.headers.get("Referrer-Policy") == "no-referrer"
    assert reply.headers.get("X-Request-Id")


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/json, text/plain, */*"])
def test_api_clients_keep_the_json_welcome(webapp_system: System, accept: str | None) -> None:
    """Without text/html in Accept (axios sends the last one) GET / is still the JSON welcome."""
    reply = webapp_system.http.get("/", headers={"Accept": accept} if accept else {})
    assert reply.status == 200, str(reply)
    assert media_type(reply.headers.get("Content-Type", "")) == "application/json", reply.headers
    assert isinstance(reply.json().get("message"), str) and reply.json()["message"], reply.body


@pytest.mark.parametrize("name", sorted(ASSET_TYPES))
def test_web_files_come_with_their_content_type(webapp_system: System, name: str) -> None:
    """GET /web/<file> answers the file's bytes with its content type and nosniff."""
    reply = webapp_system.http.get(f"/web/{name}")
    assert reply.status == 200, str(reply)
    assert media_type(reply.headers.get("Content-Type", "")) in ASSET_TYPES[name], reply.headers
    assert reply.body == (WEB_DIR / name).read_bytes()
    assert reply.headers.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("path", ["/web/missing.js", "/web/", "/web/..%2fopenapi.json", "/web/%2e%2e/%2e%2e/Package.swift",
                                  "/web/app.js%00.css", "/web/.hidden", "/web/index.html/.."])
def test_nothing_else_is_reachable_under_web(webapp_system: System, path: str) -> None:
    """Unknown names and path tricks under /web/ get a 4xx JSON message, never a file from elsewhere."""
    reply = webapp_system.http.get(path)
    assert 400 <= reply.status < 500, str(reply)
    assert reply.message, str(reply)


class _Markup(HTMLParser):
    """Collects what index.html loads and anything inline."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "style":
            self.inline.append("<style> element")
        if tag == "script":
            if not values.get("src"):
                self.inline.append("<script> without src")
            self._in_script = True
        for name, value in attrs:
            if name.startswith("on"):
                self.inline.append(f"<{tag} {name}=...>")
            if name == "style":
                self.inline.append(f"<{tag} style=...>")
            if name in ("src", "href", "action", "formaction") and value is not None:
                self.references.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script text")


def test_files_need_nothing_the_policy_forbids() -> None:
    """index.html has no inline script, style or handler and loads only /web/ files; the script and
    stylesheet use no eval, no HTML injection and no other origin."""
    markup = _Markup()
    markup.feed((WEB_DIR / "index.html").read_text(encoding="utf-8"))
    assert markup.inline == [], markup.inline
    foreign = [ref for ref in markup.references if not re.match(r"^(/web/[\w.-]+|#/[a-z-]*|/api/openapi\.json)$", ref)]
    assert foreign == [], f"index.html refers to {foreign}"
    assert "/web/app.js" in markup.references and "/web/app.css" in markup.references
    script = (WEB_DIR / "app.js").read_text(encoding="utf-8")
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                      "http://", "https://", "setTimeout(\"", ".style."):
        assert forbidden not in script, f"app.js uses {forbidden!r}"
    style = (WEB_DIR / "app.css").read_text(encoding="utf-8")
    assert "@import" not in style and not re.search(r"url\(\s*['\"]?(https?:)?//", style), "app.css loads from elsewhere"
