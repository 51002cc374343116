"""The localStorage frontends against ``SESSION_COOKIES=on``: they keep working as with cookies off.

``on`` sets the session cookies as well as answering with the tokens, for a migration in which old
clients keep their tokens. The token suites' own tests run here again (imported, so pytest collects them
in this module), with this module's systems in place of the default ones: the React / Vue / Angular 8-13
visits, and the refresh editions' rotation and reuse rules. Their pages call without credentials, as
they are written, so no cookie is kept or sent: nothing of the cookie mode may change what they see.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from support.system import System

from .conftest import SHORT_TOKENS, _run, system_with_default_cors
from .test_refresh_editions import (  # noqa: F401 (collected here)
    test_a_thief_who_rotates_is_caught_and_the_tutorial_user_is_signed_out,
    test_clients_that_never_store_the_new_refresh_token_keep_working,
)
from .test_token_frontends import TestAngularTokenEditions, TestAxiosPerCallFrontends  # noqa: F401 (collected here)

COOKIES_ON = {"SESSION_COOKIES": "on", "SESSION_COOKIE_SECURE": "false"}


@pytest.fixture(scope="module")
def cookies_on_system() -> Iterator[System]:
    """The default system, but SESSION_COOKIES=on. A ``*_system`` of its own, so that against an external
    gateway (``SYSTEM_TEST_GATEWAY_URL``, every default) these tests are deselected, not run on cookies off."""
    yield from _run(system_with_default_cors("localstorage-cookies-on", COOKIES_ON))


@pytest.fixture(scope="module")
def tutorial_system(cookies_on_system: System) -> System:
    """What the imported tests ask for, here the system with SESSION_COOKIES=on."""
    return cookies_on_system


@pytest.fixture(scope="module")
def short_token_system() -> Iterator[System]:
    """Short tokens (``SHORT_TOKENS``), SESSION_COOKIES=on."""
    yield from _run(system_with_default_cors("localstorage-cookies-on-short", {**COOKIES_ON, **SHORT_TOKENS}))
