"""Generated hostile bodies (hypothesis, derandomized, fixed example counts) on every route.

Each test is one batch: a canary session is opened first, then every example is sent through the
gateway and must get a 4xx JSON answer (or the route's success where the body happens to be valid) and
change nothing (a refused signup made no account; no refresh or signin succeeds with junk); no process
may die during the batch, and after it every process answers /health/live and the canary still
refreshes.
"""

from __future__ import annotations

from typing import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from support.accounts import Account, SessionTracker, create_account, existing_account, signin
from support.http import Client, Reply
from support.system import System

from .bodies import (ACCOUNT_FIELDS, INT32_MAX, JSON_TYPE, credentials_in, fill_id, hostile_bodies,
                     malformed_id_templates, password_change_in, roles_in, session_id_segments, unknown_user_ids)
from .common import after_batch

#: Junk signins for names like rootadmin lock them in Redis: keep that away from every other System.
PRIVATE_REDIS = True
#: The account-route tests act as an admin of their own, made before junk signins can lock rootadmin.
ADMIN_ACCOUNT = True

#: Examples per route: bounded so the whole module stays well under a minute on debug binaries.
SIGNUP_EXAMPLES = 150
SIGNIN_EXAMPLES = 100
REFRESH_EXAMPLES = 80
SIGNOUT_EXAMPLES = 60
GET_EXAMPLES = 80

#: Bodies over the 16 KiB the auth service read in effect before issue 7 (each killed the gateway on
#: signout: the service answered before the body was through), and near the 64 KiB limit.
PAD_20K = '{"pad":"%s"}' % ("x" * 20_000)
PAD_60K = '{"pad":"%s"}' % ("x" * 60_000)

#: Known offenders from issue 7, always tried first.
COMBINING_USERNAME = "".join(letter + "\u0301" * 90 for letter in "abc")  # 3 characters, 273 code points
COMBINING_EMAIL = "a" + "\u0301" * 260 + "@example.com"  # 13 characters, 273 code points


def _json(text: str) -> tuple[str, bytes]:
    return JSON_TYPE, text.encode("utf-8")


def _send(client: Client, path: str, content_type: str | None, body: bytes, headers: dict[str, str] | None = None,
          method: str = "POST") -> Reply:
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return client.request(method, path, data=body, headers=all_headers)


def _example(system: System, content_type: str | None, body: bytes, run: Callable[[], None]) -> None:
    """Runs one example; any failure (a broken rule, a refused connection) is re-raised from this one
    place as an AssertionError naming the body and whether a process died, so hypothesis reports it as
    one consistent failure even when its replay meets a dead gateway."""
    try:
        run()
        system.assert_no_crash()
    except Exception as error:  # noqa: BLE001 (every failure of the example is reported the same way)
        dead = [process.status_report(6) for process in system.crashed()]
        note = f"\nprocess(es) died: {dead}" if dead else ""
        raise AssertionError(f"{type(error).__name__}: {error}\n  body ({content_type}): {body[:300]!r}{note}") from None


def _is_client_error(reply: Reply) -> bool:
    return 400 <= reply.status < 500


def _open_batch(system: System) -> SessionTracker:
    tracker = SessionTracker()
    tracker.track(create_account(system.http))
    return tracker


def test_generated_signup_bodies_are_refused_and_create_nothing(hostile_system: System) -> None:
    """Signup bodies of every hostile kind: each answer is a 4xx JSON error or, for a body that is in fact
    a valid signup, 200 with only ROLE_USER; after a refusal the name and password in the body do not
    sign in (today: 500 for a 3-character username of 273 code points)."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=SIGNUP_EXAMPLES)
    @given(hostile_bodies())
    @example(_json('{"username":"%s","email":"combining@example.com","password":"secret-pw"}' % COMBINING_USERNAME))
    @example(_json('{"username":"combiningmail","email":"%s","password":"secret-pw"}' % COMBINING_EMAIL))
    @example(_json('{"username":"nul\\u0000name","email":"nul@example.com","password":"secret-pw"}'))
    @example(_json('{"username":"adminwannabe","email":"wannabe@example.com","password":"secret-pw","roles":["admin"]}'))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, "/api/auth/signup", content_type, body)
            credentials = credentials_in(content_type, body)
            if reply.status == 200:
                assert credentials is not None, "signup accepted a body without credentials"
                account = signin(client, *credentials)
                assert account.json()["roles"] == ["ROLE_USER"], f"signup granted {account.json()['roles']}"
                return
            assert _is_client_error(reply), str(reply)
            if credentials is not None:
                after = signin(client, *credentials, check=False)
                assert after.status != 200, f"refused signup ({reply.status}) still made an account"

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_signin_bodies_get_4xx_and_never_a_token(hostile_system: System) -> None:
    """Signin bodies of every hostile kind: each answer is a 4xx JSON error, never 200 (today: 500 for
    U+0000 in the username)."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=SIGNIN_EXAMPLES)
    @given(hostile_bodies())
    @example(_json('{"username":"root\\u0000admin","password":"secret-pw"}'))
    @example(_json('{"username":"rootadmin","password":"pass\\u0000word"}'))
    @example(_json('{"username":"%s","password":"secret-pw"}' % COMBINING_USERNAME))
    @example(_json('{"username":"\\ud800","password":"secret-pw"}'))
    @example(_json(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, "/api/auth/signin", content_type, body)
            assert _is_client_error(reply), str(reply)

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_refresh_bodies_get_4xx_and_never_a_token(hostile_system: System) -> None:
    """Refresh bodies of every hostile kind: each answer is a 4xx JSON error, never 200, and the canary
    session (whose token is not among them) still refreshes afterwards."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=REFRESH_EXAMPLES)
    @given(hostile_bodies())
    @example(_json('{"refreshToken":"\\u0000"}'))
    @example(_json('{"refreshToken":"%s"}' % ("A" * 60_000)))
    @example(_json('{"refreshToken":{"$gt":""}}'))
    @example(_json(PAD_20K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, "/api/auth/refreshtoken", content_type, body)
            assert _is_client_error(reply), str(reply)

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_signout_bodies_are_ignored_or_refused(hostile_system: System) -> None:
    """Signout with a valid token and a hostile body: 200 (the body does not matter) or a 4xx JSON error;
    a 200 really ends that session, and the canary session of the same user lives on."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    canary = sessions.accounts[0]

    @settings(max_examples=SIGNOUT_EXAMPLES)
    @given(hostile_bodies())
    @example(_json("{}"))
    @example(_json(PAD_20K))
    @example(_json(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            session = signin(client, canary.username, canary.password).json()
            token = {"x-access-token": session["accessToken"]}
            reply = _send(client, "/api/auth/signout", content_type, body, headers=token)
            assert reply.status == 200 or _is_client_error(reply), str(reply)
            if reply.status == 200:
                after = client.get("/api/test/user", headers=token)
                assert after.status == 401, f"signed-out token still opens /api/test/user: {after}"

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


GET_PATHS = ["/", "/api/test/all", "/api/test/user", "/.well-known/jwks.json", "/api/test/admin", "/api/nothing"]


def test_generated_bodies_on_get_routes_are_ignored_or_refused(hostile_system: System) -> None:
    """GET routes given a hostile body (which they never read): 2xx or a 4xx JSON error, never a 5xx, and
    the gateway keeps serving (a dropped body must not be consumed twice)."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    token = sessions.accounts[0].headers()

    @settings(max_examples=GET_EXAMPLES)
    @given(st.sampled_from(GET_PATHS), hostile_bodies())
    @example("/api/test/all", _json(PAD_20K))
    @example("/api/test/user", _json(PAD_60K))
    @example("/api/nothing", _json(PAD_60K))
    def check(path: str, case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, path, content_type, body, headers=token, method="GET")
            assert reply.status < 300 or _is_client_error(reply), str(reply)

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


# ------------------------------------------------------------------ account routes (issue 10) ---

PASSWORD_EXAMPLES = 80
SESSION_ID_EXAMPLES = 60
ADMIN_ID_EXAMPLES = 120
ROLES_EXAMPLES = 80
TOGGLE_EXAMPLES = 30
DELETE_EXAMPLES = 8

#: The password of the account whose password the junk tries to change (its name is unique).
OLD_PASSWORD = "hostile-old-pw"

#: Every admin route on a user id, with a body that would do harm if the id were misread.
ADMIN_ID_ROUTES: list[tuple[str, str]] = [
    ("GET", ""), ("DELETE", ""), ("PUT", "/roles"), ("POST", "/disable"), ("POST", "/enable"),
    ("GET", "/sessions"), ("DELETE", "/sessions"), ("DELETE", "/lockout"),
]
MAKE_ADMIN = _json('{"roles":["admin"]}')
#: The gateway's body limit: a longer body is refused (413) before any route sees it.
BODY_LIMIT = 64 * 1024


def _user_state(client: Client, admin: Account, user_id: int) -> dict:
    """GET /api/admin/users/ID as ADMIN: what a change would touch (roles, disabled, session count)."""
    reply = client.get(f"/api/admin/users/{user_id}", headers=admin.headers())
    assert reply.status == 200, str(reply)
    body = reply.json()
    return {"roles": sorted(body["roles"]), "disabled": body["disabled"], "sessions": body["sessions"]}


def _clear_lockout(client: Client, admin: Account, user_id: int) -> None:
    """DELETE /api/admin/users/ID/lockout: the junk's wrong passwords count as failed signins."""
    reply = client.request("DELETE", f"/api/admin/users/{user_id}/lockout", headers=admin.headers())
    assert reply.status == 200, str(reply)


def test_generated_password_bodies_change_nothing_unless_valid(hostile_system: System, hostile_admin: Account) -> None:
    """POST /api/auth/password with hostile bodies (some with the right current password and a weak,
    huge or combining-mark new one): 4xx JSON (401 for a wrong current password, 400 for a weak new
    one, 429 once the junk has locked the account) and the calling session's token still works; a 200
    would have to be the right current password (the session then goes on with the answer's token).
    Afterwards (lockout cleared) the old password still signs in, and a valid change then works (the
    new password signs in, the old one no longer); the canary of another user lives on."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    user = create_account(client, password=OLD_PASSWORD)
    state = {"password": OLD_PASSWORD, "access": user.access_token}

    @settings(max_examples=PASSWORD_EXAMPLES)
    @given(hostile_bodies(ACCOUNT_FIELDS))
    @example(_json('{"currentPassword":"wrong-pw-1","newPassword":"brand-new-pw"}'))
    @example(_json('{"currentPassword":"%s","newPassword":"12345"}' % OLD_PASSWORD))
    @example(_json('{"currentPassword":"%s","newPassword":"%s"}' % (OLD_PASSWORD, "x" * 60_000)))
    @example(_json('{"currentPassword":"%s","newPassword":"%s"}' % (OLD_PASSWORD, COMBINING_USERNAME)))
    @example(_json('{"currentPassword":"%s","newPassword":["brand-new-pw"]}' % OLD_PASSWORD))
    @example(_json('{"currentPassword":{"$ne":""},"newPassword":"brand-new-pw"}'))
    @example(_json('{"currentPassword":"%s\\u0000","newPassword":"brand-new-pw"}' % OLD_PASSWORD))
    @example(_json(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, "/api/auth/password", content_type, body, headers={"x-access-token": state["access"]})
            if reply.status == 200:
                asked = password_change_in(content_type, body)
                assert asked is not None and asked[0] == state["password"], f"password changed by {body[:200]!r}"
                state.update(password=asked[1], access=reply.json()["accessToken"])
            else:
                assert _is_client_error(reply), str(reply)
            me = client.get("/api/auth/me", headers={"x-access-token": state["access"]})
            assert me.status == 200, f"the calling session broke after {reply.status}: {me}"

        _example(hostile_system, content_type, body, run)

    check()
    _clear_lockout(client, hostile_admin, user.id)
    assert state["password"] == OLD_PASSWORD, f"junk changed the password to {state['password']!r}"
    assert signin(client, user.username, OLD_PASSWORD).status == 200, "the old password no longer signs in"
    # The route still works after all that: a valid change, form-encoded.
    new_password = "hostile-new-pw"
    changed = client.post("/api/auth/password", data={"currentPassword": OLD_PASSWORD, "newPassword": new_password},
                          headers={"x-access-token": state["access"]})
    assert changed.status == 200, str(changed)
    assert client.get("/api/auth/me", headers={"x-access-token": changed.json()["accessToken"]}).status == 200
    assert signin(client, user.username, new_password).status == 200, "the new password does not sign in"
    assert signin(client, user.username, OLD_PASSWORD, check=False).status == 401, "the old password still signs in"
    after_batch(hostile_system, sessions)


def test_generated_session_ids_end_nothing(hostile_system: System) -> None:
    """DELETE /api/auth/sessions/{id} with ids that are not the caller's (unknown, malformed, another
    user's real session, the caller's other session with a character changed) and hostile bodies: 404 or
    another 4xx JSON, and every one of those sessions still refreshes afterwards."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    caller = sessions.track(create_account(client))
    kept = sessions.track(existing_account(client, caller.username, caller.password))
    stranger = sessions.track(create_account(client))
    listed = client.get("/api/auth/sessions", headers=caller.headers()).json()
    other_id = next(s["id"] for s in listed if not s["current"])
    stranger_id = next(s["id"] for s in client.get("/api/auth/sessions", headers=stranger.headers()).json())
    ids = {"{other}": other_id, "{stranger}": stranger_id}
    flipped = ("A" if other_id[0] != "A" else "B") + other_id[1:]

    @settings(max_examples=SESSION_ID_EXAMPLES)
    @given(session_id_segments(), st.one_of(st.just((None, b"")), hostile_bodies()))
    @example("{stranger}", (None, b""))
    @example("{stranger}", _json(PAD_60K))
    @example(flipped, (None, b""))
    @example(other_id.lower() if other_id.lower() != other_id else other_id.upper(), (None, b""))
    @example("{other}%00", (None, b""))
    @example("{other}%2F", (None, b""))
    @example("%20{other}", (None, b""))
    def check(segment: str, case: tuple[str | None, bytes]) -> None:
        content_type, body = case
        target = ids.get(segment, segment.replace("{other}", other_id))

        def run() -> None:
            reply = _send(client, f"/api/auth/sessions/{target}", content_type, body, headers=caller.headers(),
                          method="DELETE")
            assert _is_client_error(reply), str(reply)
            if len(target) == 22 and "%" not in target:
                assert reply.status == 404, f"expected 404 Session not found, got {reply}"

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_admin_ids_are_refused_and_change_nothing(hostile_system: System, hostile_admin: Account) -> None:
    """Every /api/admin/users/{id}... route with malformed ids (lookalikes of a real user's id: signs,
    spaces, decimals, hex, fullwidth digits, NUL, an encoded slash; and any text) and unknown ids, sent by
    an admin with a harmful body (make admin) or a hostile one: malformed ids 4xx JSON (the service's 400,
    or 0 and ids past the column's range exactly 400), unknown ids 404; the user the lookalikes point at
    keeps their roles, enabled state and session."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    target = sessions.track(create_account(client))
    before = _user_state(client, hostile_admin, target.id)

    @settings(max_examples=ADMIN_ID_EXAMPLES)
    @given(st.sampled_from(ADMIN_ID_ROUTES), st.one_of(malformed_id_templates(), unknown_user_ids()),
           st.one_of(st.just(MAKE_ADMIN), hostile_bodies(ACCOUNT_FIELDS)))
    @example(("PUT", "/roles"), "+{n}", MAKE_ADMIN)
    @example(("DELETE", ""), "{n}.0", (None, b""))
    @example(("POST", "/disable"), "{wide}", (None, b""))
    @example(("DELETE", "/sessions"), "{n}%00", _json(PAD_60K))
    @example(("GET", ""), INT32_MAX, (None, b""))
    @example(("DELETE", ""), "0", (None, b""))
    def check(route: tuple[str, str], user_id: str | int, case: tuple[str | None, bytes]) -> None:
        method, suffix = route
        content_type, body = case
        segment = str(user_id) if isinstance(user_id, int) else fill_id(user_id, target.id)

        def run() -> None:
            reply = _send(client, f"/api/admin/users/{segment}{suffix}", content_type, body,
                          headers=hostile_admin.headers(), method=method)
            assert _is_client_error(reply), str(reply)
            # PUT .../roles reads its body before the user: a bad one is 400 whatever the id.
            readable = len(body) <= BODY_LIMIT and (suffix != "/roles" or roles_in(content_type, body) is not None)
            if isinstance(user_id, int) and readable:
                assert reply.status == 404 and reply.message == "User not found", str(reply)
            elif segment.isascii() and segment.isdigit():
                assert reply.status == 400, f"{segment} is no id in range: {reply}"

        _example(hostile_system, content_type, body, run)

    check()
    assert _user_state(client, hostile_admin, target.id) == before, "a malformed id changed the user it looks like"
    after_batch(hostile_system, sessions)


def test_generated_role_bodies_set_only_valid_roles(hostile_system: System, hostile_admin: Account) -> None:
    """PUT /api/admin/users/{id}/roles with hostile bodies on a real user: 4xx JSON and the roles
    unchanged, or, for a body that names known roles, 200 and exactly those roles; the user's session is
    not ended by a role change (it still refreshes, with the roles of the last accepted body)."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    target = sessions.track(create_account(client))
    path = f"/api/admin/users/{target.id}/roles"

    @settings(max_examples=ROLES_EXAMPLES)
    @given(hostile_bodies(ACCOUNT_FIELDS))
    @example(_json('{"roles":[]}'))
    @example(_json('{"roles":["ROLE_ADMIN"]}'))
    @example(_json('{"roles":["Admin"]}'))
    @example(_json('{"roles":["admin\\u0000"]}'))
    @example(_json('{"roles":["admin",null]}'))
    @example(_json('{"roles":["user","superuser"]}'))
    @example(_json('{"roles":"moderator"}'))
    @example(("application/x-www-form-urlencoded", b"roles[]=user&roles[]=moderator&roles[]=user"))
    @example(_json('{"roles":["user"]}'))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            before = _user_state(client, hostile_admin, target.id)["roles"]
            reply = _send(client, path, content_type, body, headers=hostile_admin.headers(), method="PUT")
            after = _user_state(client, hostile_admin, target.id)["roles"]
            if reply.status == 200:
                asked = roles_in(content_type, body)
                assert asked is not None, f"roles changed from {before} to {after} by a body naming no roles"
                assert after == asked, f"the body asked for {asked}, the user has {after}"
            else:
                assert _is_client_error(reply), str(reply)
                assert after == before, f"refused ({reply.status}) but the roles went from {before} to {after}"

        _example(hostile_system, content_type, body, run)

    check()
    roles = _user_state(client, hostile_admin, target.id)["roles"]
    after_batch(hostile_system, sessions)
    refreshed = client.get("/api/test/user", headers=target.headers())
    assert refreshed.status == 200, str(refreshed)
    signed_in = signin(client, target.username, target.password).json()["roles"]
    assert sorted(signed_in) == roles, f"signin carries {signed_in}, the admin view {roles}"


def test_generated_bodies_on_disable_and_enable_are_ignored(hostile_system: System, hostile_admin: Account) -> None:
    """POST /api/admin/users/{id}/disable and /enable with hostile bodies (which they do not read): 200
    each time (413 and no change for a body over the 64 KiB limit), and the change happens: after
    disable the user cannot sign in (401, or the back-off's 429) and has no session, after enable (and
    the lockout cleared) they sign in again."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    target = create_account(client)

    @settings(max_examples=TOGGLE_EXAMPLES)
    @given(st.sampled_from(["disable", "enable"]), hostile_bodies(ACCOUNT_FIELDS))
    @example("disable", _json(PAD_60K))
    @example("enable", _json(PAD_20K))
    def check(action: str, case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            before = _user_state(client, hostile_admin, target.id)
            reply = _send(client, f"/api/admin/users/{target.id}/{action}", content_type, body,
                          headers=hostile_admin.headers())
            state = _user_state(client, hostile_admin, target.id)
            if len(body) > BODY_LIMIT:
                assert reply.status == 413 and state == before, f"{reply}; {before} -> {state}"
                return
            assert reply.status == 200, str(reply)
            assert state["disabled"] == (action == "disable"), f"after {action}: {state}"
            if action == "disable":
                assert state["sessions"] == 0, f"disabled but sessions live: {state}"
                refused = signin(client, target.username, target.password, check=False)
                # A disabled user's signin is a failed one: after a few, the back-off answers 429.
                assert refused.status in (401, 429), f"a disabled user signed in: {refused}"

        _example(hostile_system, content_type, body, run)

    check()
    enabled = client.post(f"/api/admin/users/{target.id}/enable", headers=hostile_admin.headers())
    assert enabled.status == 200, str(enabled)
    _clear_lockout(client, hostile_admin, target.id)
    assert signin(client, target.username, target.password).status == 200
    after_batch(hostile_system, sessions)


def test_generated_bodies_on_delete_delete_only_that_user(hostile_system: System, hostile_admin: Account) -> None:
    """DELETE /api/admin/users/{id} with hostile bodies: 200 for a real user, who then cannot sign in
    and is gone from the admin view (404; a body over the 64 KiB limit is 413 and deletes nothing); the
    admin's own account is refused (400) whatever the body, and the canary lives on."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    own = _send(client, f"/api/admin/users/{hostile_admin.id}", JSON_TYPE, PAD_60K.encode(),
                headers=hostile_admin.headers(), method="DELETE")
    assert own.status == 400 and own.message == "You cannot delete your own account!", str(own)

    @settings(max_examples=DELETE_EXAMPLES)
    @given(hostile_bodies(ACCOUNT_FIELDS))
    @example(_json(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            doomed = create_account(client)
            reply = _send(client, f"/api/admin/users/{doomed.id}", content_type, body,
                          headers=hostile_admin.headers(), method="DELETE")
            if len(body) > BODY_LIMIT:
                assert reply.status == 413, str(reply)
                assert signin(client, doomed.username, doomed.password).status == 200
                return
            assert reply.status == 200, str(reply)
            gone = client.get(f"/api/admin/users/{doomed.id}", headers=hostile_admin.headers())
            assert gone.status == 404, f"deleted user still in the admin view: {gone}"
            refused = signin(client, doomed.username, doomed.password, check=False)
            assert refused.status == 401, f"a deleted user signed in: {refused}"

        _example(hostile_system, content_type, body, run)

    check()
    assert client.get("/api/auth/me", headers=hostile_admin.headers()).status == 200
    after_batch(hostile_system, sessions)
