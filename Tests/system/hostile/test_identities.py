"""Names that look the same are the same account; text past the columns' limits is refused, not a 500.

Lookalikes of an existing name (zero-width and soft-hyphen insertions, a bidi override, Cyrillic and
Greek letters, fullwidth and math-bold forms, NFD of an NFC name, ß/ss, ſ/s, ς/σ) must be refused at
signup with 400 JSON, and the refused signup must leave no account behind: signing in with the
lookalike and the password that signup carried fails.
"""

from __future__ import annotations

import unicodedata

import pytest

from support.accounts import create_account, signin, signup, unique_name
from support.system import ADMIN_USERNAME, System

#: Failed signins lock names in Redis: this module's Redis is its own.
PRIVATE_REDIS = True
LOOKALIKE_PASSWORD = "lookalike-pw"


def _greek(text: str) -> str:
    """Hex digits spelled with Greek letters, so a unique suffix keeps a Greek name single-script."""
    return text.translate(str.maketrans("0123456789abcdef", "αβγδεζηθικλμνξοπ"))


def _suffix() -> str:
    return unique_name("")[:6]


#: (case id, existing name or None for the bootstrap admin, its lookalike)
def _cases() -> list[tuple[str, str | None, str]]:
    latin, greek = _suffix(), _greek(_suffix())
    return [
        ("zero-width-space", None, "root\u200badmin"),
        ("soft-hyphen", None, "root\u00adadmin"),
        ("bidi-override", None, "\u202erootadmin"),
        ("cyrillic-o", None, "r\u043e\u043etadmin"),
        ("greek-omicron", None, "r\u03bf\u03bftadmin"),
        ("fullwidth", None, "\uff52\uff4f\uff4f\uff54\uff41\uff44\uff4d\uff49\uff4e"),
        ("math-bold", None, "\U0001d42b\U0001d428\U0001d428\U0001d42d\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427"),
        ("upper-case", None, "ROOTADMIN"),
        ("nfd-of-nfc", unicodedata.normalize("NFC", f"jos\u00e9{latin}"), unicodedata.normalize("NFD", f"jos\u00e9{latin}")),
        ("sharp-s", f"strasse{latin}", f"stra\u00dfe{latin}"),
        ("long-s", f"sam{latin}", f"\u017fam{latin}"),
        ("final-sigma", f"{greek}λογοσ", f"{greek}λογος"),
    ]


CASES = _cases()


@pytest.mark.parametrize("existing,lookalike", [(existing, lookalike) for _, existing, lookalike in CASES],
                         ids=[case_id for case_id, _, _ in CASES])
def test_a_lookalike_of_an_existing_name_is_refused_and_makes_no_account(
    hostile_system: System, existing: str | None, lookalike: str
) -> None:
    """While a name exists, signup with a spelling that looks the same answers 400 JSON, and signin with
    that spelling and the signup's password fails (today all but the upper-case one are new accounts)."""
    client = hostile_system.http
    if existing is not None:
        create_account(client, existing)
    reply = signup(client, lookalike, password=LOOKALIKE_PASSWORD, email=f"{unique_name('look')}@example.com")
    target = existing or ADMIN_USERNAME
    assert reply.status == 400, f"signup of {lookalike!r} while {target!r} exists: {reply}"
    after = signin(client, lookalike, LOOKALIKE_PASSWORD, check=False)
    assert after.status in (400, 401), f"the refused lookalike {lookalike!r} signs in: {after}"


def test_an_email_differing_only_in_case_or_idna_form_is_taken(hostile_system: System) -> None:
    """Emails compare case-insensitively and by their IDNA (ASCII) domain: `X@EXAMPLE.COM` is taken by
    `x@example.com`, and `u@xn--bcher-kva.example` by `u@bücher.example`."""
    client = hostile_system.http
    local = unique_name("mail")
    for first, second in ((f"{local}@example.com", f"{local.upper()}@EXAMPLE.COM"),
                          (f"{local}@bücher.example", f"{local}@xn--bcher-kva.example")):
        created = signup(client, unique_name(), email=first)
        assert created.status == 200, created
        reply = signup(client, unique_name(), email=second)
        assert (reply.status, reply.message) == (400, "Failed! Email is already in use!"), f"{second} after {first}: {reply}"


@pytest.mark.parametrize(
    "field,value",
    [
        ("username", "".join(letter + "\u0301" * 90 for letter in "abc")),
        ("email", "a" + "\u0301" * 260 + "@example.com"),
        ("username", "ab\u0000c"),
        ("email", "nul\u0000@example.com"),
    ],
    ids=["username-273-code-points", "email-273-code-points", "username-NUL", "email-NUL"],
)
def test_signup_text_the_columns_cannot_hold_gets_400_and_makes_no_account(
    hostile_system: System, field: str, value: str
) -> None:
    """A username or email within the character limits but over the 255 code points the column holds, or
    holding U+0000, is refused with 400 JSON (today 500 `value too long for type character varying(255)`)
    and leaves no account."""
    client = hostile_system.http
    name = unique_name("col")
    fields = {"username": name, "email": f"{name}@example.com", field: value}
    reply = signup(client, fields["username"], email=fields["email"])
    assert reply.status == 400, reply
    assert signin(client, fields["username"], check=False).status in (400, 401)


@pytest.mark.parametrize("username", ["root\u0000admin", "\u0000", "a" * 10_000, "".join("a" + "\u0301" * 300 for _ in range(3))],
                         ids=["NUL-inside", "NUL-alone", "10000-chars", "900-code-points"])
def test_signin_with_text_no_name_can_hold_gets_401_or_400(hostile_system: System, username: str) -> None:
    """Signin with U+0000 or oversized text in the username answers the normal 401 (or a 400 naming the
    field), never 500 (today U+0000 gives 500)."""
    reply = signin(hostile_system.http, username, "secret-pw", check=True)
    assert reply.status in (400, 401), reply
