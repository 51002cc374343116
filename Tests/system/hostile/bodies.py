"""Hypothesis strategies for hostile request bodies: (Content-Type or None, body bytes) pairs.

JSON objects with the contract's field names holding wrong types, huge and deeply nested values and
awkward unicode (combining marks past 255 code points, U+0000, lone surrogates, lookalikes, bidi
controls), form-encoded bodies, wrong and odd content types, empty bodies and random bytes.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Sequence

from hypothesis import strategies as st

FIELDS = ["username", "email", "password", "roles", "refreshToken"]
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"

#: Strings that broke, or could break, a validator, a driver or a column.
SPECIAL_STRINGS = [
    "", " ", "\u0000", "a\u0000b", "root\u0000admin", "\ufeffrootadmin", "root\u200badmin", "root\u00adadmin",
    "\u202erootadmin", "rооtadmin", "ｒｏｏｔａｄｍｉｎ", "𝐫𝐨𝐨𝐭𝐚𝐝𝐦𝐢𝐧", "ROOTADMIN", "rootadmin",
    "straße", "ſam", "λογος", "e\u0301\u0301\u0301", "\U0001f600" * 20, "'; DROP TABLE users; --",
    "%00", "\\", "\"", "\r\n", "\t", "$where", "{\"$gt\": \"\"}", "a" * 256, "@", "a@b", "a@" + "b" * 300,
    "\ud7ff", "\ue000", "\uffff", "\U0010ffff",
]


def combining_text() -> st.SearchStrategy[str]:
    """3-6 letters each carrying 20-120 combining acute accents: few characters, hundreds of code points."""
    return st.builds(
        lambda letters, marks: "".join(letter + "\u0301" * marks for letter in letters),
        st.text(alphabet="abcdefghij", min_size=3, max_size=6),
        st.integers(20, 120),
    )


def hostile_text() -> st.SearchStrategy[str]:
    """Any text, the special strings, combining-mark towers and long runs."""
    return st.one_of(
        st.text(max_size=30),
        st.sampled_from(SPECIAL_STRINGS),
        combining_text(),
        st.integers(100, 20_000).map(lambda size: "x" * size),
    )


def json_scalars() -> st.SearchStrategy[object]:
    """null, booleans, small and huge integers, floats (inf and nan included), hostile text."""
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1]),
        st.floats(allow_nan=True, allow_infinity=True), hostile_text(),
    )


def json_values(fields: Sequence[str] = FIELDS) -> st.SearchStrategy[object]:
    """Scalars, and lists and objects of them a few levels deep (keys among FIELDS or any text)."""
    return st.recursive(
        json_scalars(),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(fields) | st.text(max_size=8), children, max_size=4),
        max_leaves=12,
    )


def _dumps(value: object, ascii_only: bool) -> bytes:
    # allow_nan: NaN and Infinity are not JSON; a server must refuse them, not choke on them.
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


def json_objects(fields: Sequence[str] = FIELDS) -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Objects with any subset of FIELDS (the contract's by default), each holding any JSON value, plus
    extra keys."""
    known = st.fixed_dictionaries({}, optional={name: json_values(fields) for name in fields})
    extra = st.dictionaries(st.text(max_size=10), json_values(fields), max_size=3)
    return st.builds(lambda known, more, ascii_only: (JSON_TYPE, _dumps({**more, **known}, ascii_only)),
                     known, extra, st.booleans())


def deep_nesting() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Arrays or objects nested 50 to 20,000 levels, bare or as a field's value."""
    def build(depth: int, kind: str, wrapped: bool) -> tuple[str, bytes]:
        opening, closing = ("[", "]") if kind == "array" else ('{"a":', "}")
        inner = opening * depth + "1" + closing * depth
        text = '{"username":' + inner + ',"password":"secret-pw"}' if wrapped else inner
        return JSON_TYPE, text.encode()

    return st.builds(build, st.integers(50, 20_000), st.sampled_from(["array", "object"]), st.booleans())


def raw_json_texts() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Hand-made JSON-ish texts: lone surrogate escapes, NUL escapes, duplicate keys, truncation, comments."""
    texts = [
        '{"username":"\\ud800","password":"secret-pw"}', '{"username":"\\udc00x","email":"a@b.c","password":"secret-pw"}',
        '{"username":"a\\u0000b","password":"secret-pw"}', '{"username":"abc","username":"abd","password":"secret-pw"}',
        '{"username":"abc"', '{"username":"abc",}', '{/*c*/"username":"abc"}', "[]", "null", "true", "1e999",
        '"just a string"', '{"refreshToken":"\\u0000"}', '{"refreshToken":[]}', '{"roles":"admin"}',
        '{"roles":[null]}', '{"roles":[{"name":"admin"}]}', "\ufeff{}", '{"username":"abc"}garbage',
    ]
    return st.sampled_from(texts).map(lambda text: (JSON_TYPE, text.encode("utf-8", "surrogatepass")))


def form_bodies(fields: Sequence[str] = FIELDS) -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Form-encoded: FIELDS with hostile values, repeated keys, broken percent escapes."""
    encoded = st.lists(st.tuples(st.sampled_from(fields) | st.text(max_size=8), hostile_text()), max_size=5).map(
        lambda pairs: (FORM_TYPE, urllib.parse.urlencode(pairs).encode()))
    broken = st.sampled_from([b"username=%ZZ&password=%", b"&&&==&", b"username", b"=", b"username=a%00b&password=x",
                              b"username=%C0%AF&password=secret-pw", b"roles=admin&roles=user"]).map(
        lambda body: (FORM_TYPE, body))
    return st.one_of(encoded, broken)


def odd_content_types() -> st.SearchStrategy[str | None]:
    """Missing, wrong, malformed or unusual Content-Type values."""
    return st.sampled_from([
        None, "", "text/plain", "application/xml", "multipart/form-data", "multipart/form-data; boundary=x",
        "application/json; charset=utf-16", "application/json; charset=latin1", "application/jsonx",
        "application/json, text/plain", "*/*", "APPLICATION/JSON", "application/x-www-form-urlencoded; charset=ebcdic",
        "application/json;;", "image/png",
    ])


def random_bytes() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Random bytes (up to 4 KiB) under any content type."""
    return st.tuples(st.sampled_from([JSON_TYPE, FORM_TYPE, None]) | odd_content_types(), st.binary(max_size=4096))


def valid_json_under_odd_types(fields: Sequence[str] = FIELDS) -> st.SearchStrategy[tuple[str | None, bytes]]:
    """A plausible JSON body under a wrong content type."""
    return st.tuples(odd_content_types(), json_objects(fields).map(lambda pair: pair[1]))


def empty_bodies() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """An empty body, with or without a content type."""
    return st.sampled_from([(JSON_TYPE, b""), (FORM_TYPE, b""), (None, b""), ("text/plain", b"")])


def hostile_bodies(fields: Sequence[str] = FIELDS) -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Every kind above; the objects and forms use FIELDS (the contract's by default) as their keys."""
    return st.one_of(json_objects(fields), deep_nesting(), raw_json_texts(), form_bodies(fields), random_bytes(),
                     valid_json_under_odd_types(fields), empty_bodies())


def credentials_in(content_type: str | None, body: bytes) -> tuple[str, str] | None:
    """(username, password) when BODY carries both as strings (JSON or form), else None."""
    try:
        if content_type and content_type.startswith(FORM_TYPE):
            pairs = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        else:
            pairs = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(pairs, dict) and isinstance(pairs.get("username"), str) and isinstance(pairs.get("password"), str):
        return pairs["username"], pairs["password"]
    return None


# ------------------------------------------------------------------ account routes (issue 10) ---

#: The field names of the account routes' bodies, with a few of the contract's as decoys.
ACCOUNT_FIELDS = ["currentPassword", "newPassword", "roles", "password", "username"]
ROLE_NAMES = ("user", "moderator", "admin")
INT32_MAX = 2**31 - 1


def fields_in(content_type: str | None, body: bytes) -> dict[str, object] | None:
    """BODY's fields as the account routes read them (JSON object, or a form whose repeated keys and
    ``name[]`` keys collect into lists), or None when they would refuse it as a whole."""
    kind = (content_type or "").lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.strip(" \t\r\n"):
        return {}
    if kind.startswith(FORM_TYPE):
        lists: dict[str, list[str]] = {}
        arrays: set[str] = set()
        for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
            if "[" in name and name.endswith("]"):
                name = name[:name.index("[")]
                arrays.add(name)
            lists.setdefault(name, []).append(value)
        return {name: values[0] if len(values) == 1 and name not in arrays else values
                for name, values in lists.items()}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def roles_in(content_type: str | None, body: bytes) -> list[str] | None:
    """The roles (``ROLE_*``, sorted) a PUT .../roles with BODY would set, or None when it must be refused:
    ``roles`` a role name or a non-empty list of them (repeats allowed)."""
    fields = fields_in(content_type, body)
    names = fields.get("roles") if fields else None
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n in ROLE_NAMES for n in names):
        return None
    return sorted(f"ROLE_{name.upper()}" for name in set(names))


def password_change_in(content_type: str | None, body: bytes) -> tuple[str, str] | None:
    """(currentPassword, newPassword) when BODY carries both as non-empty strings, else None."""
    fields = fields_in(content_type, body)
    current, new = (fields.get("currentPassword"), fields.get("newPassword")) if fields else (None, None)
    return (current, new) if isinstance(current, str) and isinstance(new, str) and current and new else None


def _segment(text: str) -> str:
    return urllib.parse.quote(text, safe="")


#: Malformed ``{id}`` segments made from the target's id N: each would hit N if the server read ids
#: leniently (signs, spaces, decimals, exponents, hex, fullwidth and Arabic-Indic digits, NUL, an
#: encoded slash, a trailing word). Leading zeros and percent-encoded digits are left out: they *are*
#: N, by the number and by RFC 3986.
LOOKALIKE_IDS = ["+{n}", "-{n}", "%20{n}", "{n}%20", "{n}.0", "{n}e0", "0x{x}", "{n}%00", "{n}%0A", "{n}%2F",
                 "{n}abc", "{n},{n}", "{n};x", "{n}%2Froles", "{n}{wide}", "{wide}", "{arabic}", "-0", "0", "00",
                 "{n}" + "0" * 20, str(INT32_MAX + 1), str(2**63), "1e3", "NaN", "null", "undefined", "%", "%zz",
                 "%2e%2e", "..%2F{n}", "%C0%AE", "{n}%C2%A0"]


def malformed_id_templates() -> st.SearchStrategy[str]:
    """An ``{id}`` segment that is no positive integer: a lookalike of the target's (``{n}`` and friends
    filled in by ``fill_id``) or any text, percent-encoded, that is not all ASCII digits."""
    text = st.text(max_size=24).filter(lambda t: not (t.isascii() and t.isdigit())).map(_segment)
    return st.one_of(st.sampled_from(LOOKALIKE_IDS), text.map(lambda s: s.replace("{", "%7B").replace("}", "%7D")))


def fill_id(template: str, n: int) -> str:
    """TEMPLATE with the target id N filled in (as digits, hex, fullwidth and Arabic-Indic digits)."""
    wide = "".join(chr(0xFF10 + int(d)) for d in str(n))
    arabic = "".join(chr(0x0660 + int(d)) for d in str(n))
    return template.replace("{n}", str(n)).replace("{x}", f"{n:x}").replace("{wide}", _segment(wide)).replace(
        "{arabic}", _segment(arabic))


def unknown_user_ids() -> st.SearchStrategy[int]:
    """Positive ids no test here reaches: from a million up to the column's maximum."""
    return st.one_of(st.just(INT32_MAX), st.integers(1_000_000, INT32_MAX))


def session_id_segments() -> st.SearchStrategy[str]:
    """``{id}`` segments of a session that is not the caller's: well-formed but unknown (22 base64url
    characters), other lengths and alphabets, and any text, percent-encoded."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return st.one_of(
        st.text(alphabet=alphabet, min_size=22, max_size=22),
        st.text(alphabet=alphabet, min_size=1, max_size=40),
        st.text(alphabet=alphabet + "+/=", min_size=22, max_size=24).map(_segment),
        st.text(max_size=30).filter(bool).map(_segment),
        st.sampled_from(["%00" * 22, "a" * 10_000, "..", "%2e%2e", "%2F", "*", "%25", "current", "me", "all"]),
    )
