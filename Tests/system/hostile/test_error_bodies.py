"""Error answers say what the client got wrong and nothing about the inside: no SQL, no psql, no
source file, no error dump, whichever process refused the request."""

from __future__ import annotations

from support.system import System

#: Words that belong to the inside of a service, never to an answer.
INTERNALS = ("psql", "select", "error:", ".swift")


def test_no_error_body_leaks_internals(hostile_system: System) -> None:
    client = hostile_system.http
    replies = [
        client.post("/api/auth/signin", data="[1,2,3]", headers={"Content-Type": "application/json"}),
        client.post("/api/auth/signup", json={"username": {"$gt": ""}}),
        client.post("/api/auth/signin", data="<a/>", headers={"Content-Type": "text/xml"}),
        client.get("/api/test/user", headers={"x-access-token": "x" * 9000}),
    ]
    for reply in replies:
        assert 400 <= reply.status < 500, reply
        lowered = reply.text.lower()
        assert not any(word in lowered for word in INTERNALS), reply
