"""The rules every suite applies to every answer of the gateway.

- A 5xx other than 503 is a failure (a crash-like bug: no input may cause one).
- A 503 is the documented fail-closed answer only with the body ``{"message":"Service temporarily
  unavailable"}``.
- Every 4xx/5xx body is JSON with a string ``message`` (HEAD answers carry no body and are exempt).

``check_response`` counts the answer in the tally, counts each broken rule and raises
``ResponseViolation`` (an AssertionError) naming it.
"""

from __future__ import annotations

import json
from typing import Any

from .tally import TALLY

SERVICE_UNAVAILABLE_MESSAGE = "Service temporarily unavailable"


class ResponseViolation(AssertionError):
    """An answer broke one of the shared rules."""


def error_message(body: bytes) -> str | None:
    """The string ``message`` of a JSON object body, or None when the body is not one."""
    try:
        parsed: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return parsed["message"]
    return None


def violations(method: str, status: int, body: bytes) -> list[tuple[str, str]]:
    """The broken rules as (tally counter, explanation) pairs; empty when the answer is fine."""
    found: list[tuple[str, str]] = []
    if status >= 500 and status != 503:
        found.append(("server_errors", f"{status} is a server error (only the documented 503 is allowed)"))
    if status == 503 and method != "HEAD" and error_message(body) != SERVICE_UNAVAILABLE_MESSAGE:
        found.append(("undocumented_503", f"503 without the documented body: {body[:200]!r}"))
    if status >= 400 and method != "HEAD" and error_message(body) is None:
        found.append(("non_json_errors", f"{status} error body is not JSON with a string message: {body[:200]!r}"))
    return found


def check_response(method: str, target: str, status: int, body: bytes, count: bool = True) -> None:
    """Counts one answer (unless COUNT is false) and raises ResponseViolation if it breaks a rule."""
    if count:
        TALLY.add("cases")
    found = violations(method.upper(), status, body)
    for counter, explanation in found:
        TALLY.add(counter, example=f"{method} {target}: {explanation}")
    if found:
        raise ResponseViolation(f"{method} {target}: " + "; ".join(text for _, text in found))
