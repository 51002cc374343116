"""The admin's user list as a client pages it (issue 22): keyset pages through ``next``, a search, the
total, and pages that stay the same while users are added and deleted between them.

Each test makes its own users under a name prefix no other test uses and searches for it, so the
bootstrap admin and other tests' users never fall into its pages.
"""

from __future__ import annotations

from support.accounts import Account, create_admin, signup, unique_name
from support.http import Client
from support.system import System


def make_users(client: Client, prefix: str, count: int) -> None:
    """Signs up COUNT users PREFIX00, PREFIX01... (in that order, so their ids grow with the number)."""
    for n in range(count):
        reply = signup(client, f"{prefix}{n:02d}")
        assert reply.status == 200, str(reply)


def list_users(client: Client, admin: Account, **params: object) -> dict:
    """GET /api/admin/users with PARAMS as ADMIN; the answer, which must be 200."""
    reply = client.get("/api/admin/users", params={k: str(v) for k, v in params.items()}, headers=admin.headers())
    assert reply.status == 200, str(reply)
    return reply.json()


def follow(client: Client, admin: Account, q: str, limit: int, between=None) -> list[list[dict]]:
    """Every page of the search Q, from after=0 to the page whose next is null; BETWEEN (when given)
    runs after each page but the last."""
    pages, after = [], 0
    while True:
        page = list_users(client, admin, q=q, limit=limit, after=after)
        pages.append(page["users"])
        if page["next"] is None:
            return pages
        assert page["next"] == page["users"][-1]["id"], page
        after = page["next"]
        if between:
            between(len(pages))


def test_pages_follow_next_to_the_end(module_system: System) -> None:
    """limit=5 over 23 matches: pages of 5, 5, 5, 5 and 3 in id order, next null only on the last, an
    exact total on every page; offset still pages the first 10,000."""
    client = module_system.http
    admin = create_admin(client)
    prefix = unique_name("kp")
    make_users(client, prefix, 23)

    pages = follow(client, admin, prefix.upper(), 5)
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    names = [user["username"] for page in pages for user in page]
    assert names == [f"{prefix}{n:02d}" for n in range(23)]
    ids = [user["id"] for page in pages for user in page]
    assert ids == sorted(ids)
    first = list_users(client, admin, q=prefix, limit=5)
    assert first["total"] == 23 and first["totalExact"] is True
    by_offset = list_users(client, admin, q=prefix, limit=5, offset=20)
    assert [user["id"] for user in by_offset["users"]] == ids[20:] and by_offset["next"] is None


def test_pages_stay_stable_while_users_come_and_go(module_system: System) -> None:
    """Between pages, an admin deletes a user already listed and one not listed yet, and new users sign
    up: every user that stayed is listed exactly once, in id order; none is skipped, as an offset would."""
    client = module_system.http
    admin = create_admin(client)
    prefix = unique_name("ks")
    make_users(client, prefix, 24)
    everyone = [user["id"] for page in follow(client, admin, prefix, 100) for user in page]
    assert len(everyone) == 24
    deleted: set[int] = set()
    seen: list[int] = []

    def churn(pages_read: int) -> None:
        listed = set(seen)
        behind = next((i for i in everyone if i in listed and i not in deleted), None)
        ahead = next((i for i in reversed(everyone) if i not in listed and i not in deleted), None)
        for victim in (v for v in (behind, ahead) if v is not None):
            reply = client.request("DELETE", f"/api/admin/users/{victim}", headers=admin.headers())
            assert reply.status == 200, str(reply)
            deleted.add(victim)
        assert signup(client, f"{prefix}n{pages_read}").status == 200

    pages, after = [], 0
    while True:
        page = list_users(client, admin, q=prefix, limit=4, after=after)
        seen.extend(user["id"] for user in page["users"])
        pages.append(page)
        if page["next"] is None:
            break
        after = page["next"]
        churn(len(pages))

    assert seen == sorted(seen) and len(set(seen)) == len(seen), seen
    assert len(deleted) >= 6, "the churn deleted too little to mean anything"
    stayed = [i for i in everyone if i not in deleted]
    assert set(stayed) <= set(seen), f"skipped: {sorted(set(stayed) - set(seen))}"


def test_bad_paging_parameters_are_400_naming_them(module_system: System) -> None:
    """A malformed after, or an offset past 10,000, is a 400 whose message names the parameter."""
    client = module_system.http
    admin = create_admin(client)
    for params, name in (({"after": "-1"}, "after"), ({"after": "x"}, "after"), ({"after": "2147483648"}, "after"),
                         ({"offset": "10001"}, "offset")):
        reply = client.get("/api/admin/users", params=params, headers=admin.headers(), check=True)
        assert reply.status == 400 and reply.message.startswith(name), str(reply)
    assert list_users(client, admin, offset=10000)["users"] == []
