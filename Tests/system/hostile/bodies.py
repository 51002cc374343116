"""Hypothesis strategies for hostile request bodies: (Content-Type or None, body bytes) pairs.

JSON objects with the contract's field names holding wrong types, huge and deeply nested values and
awkward unicode (combining marks past 255 code points, U+0000, lone surrogates, lookalikes, bidi
controls), form-encoded bodies, wrong and odd content types, empty bodies and random bytes.
"""

from __future__ import annotations

import json
import urllib.parse

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


def json_values() -> st.SearchStrategy[object]:
    """Scalars, and lists and objects of them a few levels deep."""
    return st.recursive(
        json_scalars(),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=4),
        max_leaves=12,
    )


def _dumps(value: object, ascii_only: bool) -> bytes:
    # allow_nan: NaN and Infinity are not JSON; a server must refuse them, not choke on them.
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


def json_objects() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Objects with any subset of the contract's fields, each holding any JSON value, plus extra keys."""
    fields = st.fixed_dictionaries({}, optional={name: json_values() for name in FIELDS})
    extra = st.dictionaries(st.text(max_size=10), json_values(), max_size=3)
    return st.builds(lambda known, more, ascii_only: (JSON_TYPE, _dumps({**more, **known}, ascii_only)),
                     fields, extra, st.booleans())


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


def form_bodies() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Form-encoded: the fields with hostile values, repeated keys, broken percent escapes."""
    encoded = st.lists(st.tuples(st.sampled_from(FIELDS) | st.text(max_size=8), hostile_text()), max_size=5).map(
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


def valid_json_under_odd_types() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """A plausible JSON body under a wrong content type."""
    return st.tuples(odd_content_types(), json_objects().map(lambda pair: pair[1]))


def empty_bodies() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """An empty body, with or without a content type."""
    return st.sampled_from([(JSON_TYPE, b""), (FORM_TYPE, b""), (None, b""), ("text/plain", b"")])


def hostile_bodies() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """Every kind above."""
    return st.one_of(json_objects(), deep_nesting(), raw_json_texts(), form_bodies(), random_bytes(),
                     valid_json_under_odd_types(), empty_bodies())


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
