"""Generated hostile input (hypothesis, derandomized, fixed example counts) on the account and admin
routes (issue 10): junk password changes, session ids that are not the caller's, malformed and
unknown user ids on every admin route, junk role lists, bodies on routes that take none.

Each test is one batch, as in test_generated_bodies.py: every example gets a 4xx JSON answer (or the
route's real success where the input happens to be valid), and nothing changes that the example did
not validly ask for: the old password still signs in, roles, disabled state and sessions are as they
were, the canary session still refreshes.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import example, given, settings
from hypothesis import strategies as st

from support.accounts import Account, create_account, existing_account, signin
from support.http import Client
from support.system import System

from .bodies import (ACCOUNT_FIELDS, INT32_MAX, JSON_TYPE, fill_id, hostile_bodies, hostile_text, malformed_id_templates,
                     password_change_in, roles_in, session_id_segments, unknown_user_ids)
from .common import after_batch
from .generated import COMBINING_USERNAME, PAD_20K, PAD_60K, is_client_error, json_body, open_batch, run_example, send

#: Failed password changes count towards their accounts' back-off: keep that to this module's System.
PRIVATE_REDIS = True
#: The tests act as an admin of their own, made as the System starts.
ADMIN_ACCOUNT = True

PASSWORD_EXAMPLES = 80
SESSION_ID_EXAMPLES = 60
ADMIN_ID_EXAMPLES = 120
ROLES_EXAMPLES = 80
TOGGLE_EXAMPLES = 30
DELETE_EXAMPLES = 8
QUERY_EXAMPLES = 80

#: The password of the account whose password the junk tries to change (its name is unique).
OLD_PASSWORD = "hostile-old-pw"

#: Every admin route on a user id, with a body that would do harm if the id were misread.
ADMIN_ID_ROUTES: list[tuple[str, str]] = [
    ("GET", ""), ("DELETE", ""), ("PUT", "/roles"), ("POST", "/disable"), ("POST", "/enable"),
    ("GET", "/sessions"), ("DELETE", "/sessions"), ("DELETE", "/lockout"),
]
MAKE_ADMIN = json_body('{"roles":["admin"]}')
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
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    user = create_account(client, password=OLD_PASSWORD)
    state = {"password": OLD_PASSWORD, "access": user.access_token}

    @settings(max_examples=PASSWORD_EXAMPLES)
    @given(hostile_bodies(ACCOUNT_FIELDS))
    @example(json_body('{"currentPassword":"wrong-pw-1","newPassword":"brand-new-pw"}'))
    @example(json_body('{"currentPassword":"%s","newPassword":"12345"}' % OLD_PASSWORD))
    @example(json_body('{"currentPassword":"%s","newPassword":"%s"}' % (OLD_PASSWORD, "x" * 60_000)))
    @example(json_body('{"currentPassword":"%s","newPassword":"%s"}' % (OLD_PASSWORD, COMBINING_USERNAME)))
    @example(json_body('{"currentPassword":"%s","newPassword":["brand-new-pw"]}' % OLD_PASSWORD))
    @example(json_body('{"currentPassword":{"$ne":""},"newPassword":"brand-new-pw"}'))
    @example(json_body('{"currentPassword":"%s\\u0000","newPassword":"brand-new-pw"}' % OLD_PASSWORD))
    @example(json_body(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, "/api/auth/password", content_type, body, headers={"x-access-token": state["access"]})
            if reply.status == 200:
                asked = password_change_in(content_type, body)
                assert asked is not None and asked[0] == state["password"], f"password changed by {body[:200]!r}"
                state.update(password=asked[1], access=reply.json()["accessToken"])
            else:
                assert is_client_error(reply), str(reply)
            me = client.get("/api/auth/me", headers={"x-access-token": state["access"]})
            assert me.status == 200, f"the calling session broke after {reply.status}: {me}"

        run_example(hostile_system, content_type, body, run)

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
    sessions = open_batch(hostile_system)
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
    @example("{stranger}", json_body(PAD_60K))
    @example(flipped, (None, b""))
    @example(other_id.lower() if other_id.lower() != other_id else other_id.upper(), (None, b""))
    @example("{other}%00", (None, b""))
    @example("{other}%2F", (None, b""))
    @example("%20{other}", (None, b""))
    def check(segment: str, case: tuple[str | None, bytes]) -> None:
        content_type, body = case
        target = ids.get(segment, segment.replace("{other}", other_id))

        def run() -> None:
            reply = send(client, f"/api/auth/sessions/{target}", content_type, body, headers=caller.headers(),
                          method="DELETE")
            assert is_client_error(reply), str(reply)
            if len(target) == 22 and "%" not in target:
                assert reply.status == 404, f"expected 404 Session not found, got {reply}"

        run_example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_admin_ids_are_refused_and_change_nothing(hostile_system: System, hostile_admin: Account) -> None:
    """Every /api/admin/users/{id}... route with malformed ids (lookalikes of a real user's id: signs,
    spaces, decimals, hex, fullwidth digits, NUL, an encoded slash; and any text) and unknown ids, sent by
    an admin with a harmful body (make admin) or a hostile one: malformed ids 4xx JSON (the service's 400,
    or 0 and ids past the column's range exactly 400), unknown ids 404; the user the lookalikes point at
    keeps their roles, enabled state and session."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    target = sessions.track(create_account(client))
    before = _user_state(client, hostile_admin, target.id)

    @settings(max_examples=ADMIN_ID_EXAMPLES)
    @given(st.sampled_from(ADMIN_ID_ROUTES), st.one_of(malformed_id_templates(), unknown_user_ids()),
           st.one_of(st.just(MAKE_ADMIN), hostile_bodies(ACCOUNT_FIELDS)))
    @example(("PUT", "/roles"), "+{n}", MAKE_ADMIN)
    @example(("DELETE", ""), "{n}.0", (None, b""))
    @example(("POST", "/disable"), "{wide}", (None, b""))
    @example(("DELETE", "/sessions"), "{n}%00", json_body(PAD_60K))
    @example(("GET", ""), INT32_MAX, (None, b""))
    @example(("DELETE", ""), "0", (None, b""))
    def check(route: tuple[str, str], user_id: str | int, case: tuple[str | None, bytes]) -> None:
        method, suffix = route
        content_type, body = case
        segment = str(user_id) if isinstance(user_id, int) else fill_id(user_id, target.id)

        def run() -> None:
            reply = send(client, f"/api/admin/users/{segment}{suffix}", content_type, body,
                          headers=hostile_admin.headers(), method=method)
            assert is_client_error(reply), str(reply)
            # PUT .../roles reads its body before the user: a bad one is 400 whatever the id.
            readable = len(body) <= BODY_LIMIT and (suffix != "/roles" or roles_in(content_type, body) is not None)
            if isinstance(user_id, int) and readable:
                assert reply.status == 404 and reply.message == "User not found", str(reply)
            elif segment.isascii() and segment.isdigit():
                assert reply.status == 400, f"{segment} is no id in range: {reply}"

        run_example(hostile_system, content_type, body, run)

    check()
    assert _user_state(client, hostile_admin, target.id) == before, "a malformed id changed the user it looks like"
    after_batch(hostile_system, sessions)


def test_generated_role_bodies_set_only_valid_roles(hostile_system: System, hostile_admin: Account) -> None:
    """PUT /api/admin/users/{id}/roles with hostile bodies on a real user: 4xx JSON and the roles
    unchanged, or, for a body that names known roles, 200 and exactly those roles; the user's session is
    not ended by a role change (it still refreshes, with the roles of the last accepted body)."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    target = sessions.track(create_account(client))
    path = f"/api/admin/users/{target.id}/roles"

    @settings(max_examples=ROLES_EXAMPLES)
    @given(hostile_bodies(ACCOUNT_FIELDS))
    @example(json_body('{"roles":[]}'))
    @example(json_body('{"roles":["ROLE_ADMIN"]}'))
    @example(json_body('{"roles":["Admin"]}'))
    @example(json_body('{"roles":["admin\\u0000"]}'))
    @example(json_body('{"roles":["admin",null]}'))
    @example(json_body('{"roles":["user","superuser"]}'))
    @example(json_body('{"roles":"moderator"}'))
    @example(("application/x-www-form-urlencoded", b"roles[]=user&roles[]=moderator&roles[]=user"))
    @example(json_body('{"roles":["user"]}'))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            before = _user_state(client, hostile_admin, target.id)["roles"]
            reply = send(client, path, content_type, body, headers=hostile_admin.headers(), method="PUT")
            after = _user_state(client, hostile_admin, target.id)["roles"]
            if reply.status == 200:
                asked = roles_in(content_type, body)
                assert asked is not None, f"roles changed from {before} to {after} by a body naming no roles"
                assert after == asked, f"the body asked for {asked}, the user has {after}"
            else:
                assert is_client_error(reply), str(reply)
                assert after == before, f"refused ({reply.status}) but the roles went from {before} to {after}"

        run_example(hostile_system, content_type, body, run)

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
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    target = create_account(client)

    @settings(max_examples=TOGGLE_EXAMPLES)
    @given(st.sampled_from(["disable", "enable"]), hostile_bodies(ACCOUNT_FIELDS))
    @example("disable", json_body(PAD_60K))
    @example("enable", json_body(PAD_20K))
    def check(action: str, case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            before = _user_state(client, hostile_admin, target.id)
            reply = send(client, f"/api/admin/users/{target.id}/{action}", content_type, body,
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

        run_example(hostile_system, content_type, body, run)

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
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    own = send(client, f"/api/admin/users/{hostile_admin.id}", JSON_TYPE, PAD_60K.encode(),
                headers=hostile_admin.headers(), method="DELETE")
    assert own.status == 400 and own.message == "You cannot delete your own account!", str(own)

    @settings(max_examples=DELETE_EXAMPLES)
    @given(hostile_bodies(ACCOUNT_FIELDS))
    @example(json_body(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            doomed = create_account(client)
            reply = send(client, f"/api/admin/users/{doomed.id}", content_type, body,
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

        run_example(hostile_system, content_type, body, run)

    check()
    assert client.get("/api/auth/me", headers=hostile_admin.headers()).status == 200
    after_batch(hostile_system, sessions)


#: The account routes that take query parameters or no body at all, with the parameters each reads.
QUERY_ROUTES: list[tuple[str, tuple[str, ...]]] = [
    ("/api/admin/users", ("limit", "offset", "after", "q")),
    ("/api/admin/audit", ("userId", "type", "limit", "before")),
    ("/api/auth/me", ()),
    ("/api/auth/sessions", ()),
]


def _query(values: dict[str, str]) -> str:
    """VALUES percent-encoded as UTF-8, lone surrogates as the invalid bytes they would be."""
    return "&".join(f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'))}" for name, value in values.items())


def test_generated_query_parameters_get_an_answer_or_a_400_naming_them(
    hostile_system: System, hostile_admin: Account
) -> None:
    """The admin's list and audit routes with hostile query values (any text, huge numbers, signs,
    NUL, invalid UTF-8) and the self-service GET routes with hostile bodies: 200, or a 400 whose
    message names the parameter it refuses; never a 5xx."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=QUERY_EXAMPLES)
    @given(st.sampled_from(QUERY_ROUTES), st.data(), st.one_of(st.just((None, b"")), hostile_bodies(ACCOUNT_FIELDS)))
    def check(route: tuple[str, tuple[str, ...]], data: st.DataObject, case: tuple[str | None, bytes]) -> None:
        path, names = route
        content_type, body = case
        values: dict[str, str] = {}
        if names:
            chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
            values = {name: data.draw(st.one_of(hostile_text(), st.sampled_from(
                ["-1", "0", "101", "1e3", "٣", "99999999999999999999", "\u0000", "\ud800", "signup"])))
                for name in chosen}
        target = f"{path}?{_query(values)}" if values else path

        def run() -> None:
            reply = send(client, target, content_type, body, headers=hostile_admin.headers(), method="GET")
            assert reply.status == 200 or is_client_error(reply), str(reply)
            if reply.status == 400 and not body:
                assert any(name in (reply.message or "") for name in values), f"the 400 names no parameter: {reply}"

        run_example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)
