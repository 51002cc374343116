"""Client byte streams for the differential test, from a seeded generator: request lines, header sets
with `Connection` lists of any names, duplicated and conflicting framing, pipelining, bodies that hold
other requests, `Upgrade`, fragments, both token headers. Each stream is a few requests sent as one
piece of bytes (cut anywhere), usually followed by FIN."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

#: (method, path, kind): "public", "protected", "signup" (passes a token unchecked), "local", "unknown".
ROUTES = [
    ("GET", "/api/test/all", "public"),
    ("GET", "/api/test/user", "protected"),
    ("GET", "/api/test/admin", "protected"),
    ("GET", "/api/auth/me", "protected"),
    ("POST", "/api/auth/signout", "protected"),
    ("DELETE", "/api/auth/sessions/abc", "protected"),
    ("PUT", "/api/admin/users/1/roles", "protected"),
    ("POST", "/api/auth/signin", "public"),
    ("POST", "/api/auth/refreshtoken", "public"),
    ("POST", "/api/auth/signup", "signup"),
    ("GET", "/.well-known/jwks.json", "public"),
    ("GET", "/", "local"),
    ("GET", "/nowhere", "unknown"),
]
NAMES = ["content-length", "transfer-encoding", "x-access-token", "authorization", "content-type", "host", "upgrade",
         "x-custom", "keep-alive", "close", "te", "expect", "x-forwarded-for", "connection", "Content-Length", "X-ACCESS-TOKEN"]


@dataclass
class Tokens:
    """The tokens a stream may carry: one valid, one revoked, one that is not a token."""

    valid: str
    revoked: str
    garbage: str = "not.a.token"

    def all(self) -> list[str]:
        return [self.valid, self.revoked, self.garbage]


@dataclass
class Stream:
    """One client connection's bytes, and how they are sent."""

    data: bytes
    cut: int | None
    fin: bool
    description: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    #: The method of each request, in order (an answer to HEAD has no body).
    methods: list[str] = field(default_factory=list)


def _smuggled(rng: random.Random, tokens: Tokens) -> bytes:
    """A request hidden in a body: whole, or cut off inside a field line."""
    method, path, _ = rng.choice(ROUTES)
    token = rng.choice(tokens.all())
    whole = f"{method} {path} HTTP/1.1\r\nHost: x\r\nx-access-token: {token}\r\nX-Forwarded-For: 203.0.113.66\r\n\r\n".encode()
    return whole if rng.random() < 0.6 else whole[:rng.randrange(10, len(whole))] + b"X-Hijack: "


def _request(rng: random.Random, tokens: Tokens, stream: Stream) -> bytes:
    method, path, kind = rng.choice(ROUTES)
    roll = rng.random()
    if roll < 0.05:
        method = rng.choice(["CONNECT", "OPTIONS", "TRACE", "FOO", "PATCH"])
    elif roll < 0.12 and method == "GET":
        method = "HEAD"
    target = path
    if rng.random() < 0.15:
        target += "?q=" + rng.choice(["1", "a%20b", "x&y=2"])
    if rng.random() < 0.1:
        target += "#" + rng.choice(["frag", "x/../../admin", ""])
    if rng.random() < 0.05:
        target = "http://gateway.test" + target
    version = rng.choices(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0"], [0.9, 0.07, 0.03])[0]
    headers: list[tuple[str, str]] = []
    hosts = rng.choices([1, 0, 2], [0.92, 0.04, 0.04])[0]
    headers += [("Host", "gateway.test")] * hosts

    token_case = rng.choice(["none", "direct", "bearer", "both-same", "both-different", "revoked", "garbage", "padded"])
    pad = rng.choice(["", " ", "\t", "  "])
    if token_case == "direct":
        headers.append(("x-access-token", tokens.valid))
    elif token_case == "bearer":
        headers.append(("Authorization", f"Bearer {tokens.valid}"))
    elif token_case == "both-same":
        headers += [("x-access-token", tokens.valid), ("Authorization", f"Bearer {tokens.valid}")]
    elif token_case == "both-different":
        pair = rng.sample(tokens.all(), 2)
        headers += [("x-access-token", pair[0]), ("Authorization", f"Bearer {pair[1]}")]
    elif token_case == "revoked":
        headers.append(rng.choice([("x-access-token", tokens.revoked), ("Authorization", f"Bearer {tokens.revoked}")]))
    elif token_case == "garbage":
        headers.append(("x-access-token", tokens.garbage))
    elif token_case == "padded":
        headers.append(("x-access-token", pad + tokens.valid + pad))
    if rng.random() < 0.4:
        listed = rng.sample(NAMES, rng.randint(1, 3))
        headers.append(("Connection", ", ".join(listed)))
        if "upgrade" in listed and rng.random() < 0.7:
            headers.append(("Upgrade", rng.choice(["websocket", "h2c"])))
    if rng.random() < 0.1:
        headers.append(("X-Custom", "kept"))
    if rng.random() < 0.05:
        headers.append(("Expect", "100-continue"))

    body_case = rng.choices(["none", "json", "smuggled", "bytes"], [0.45, 0.3, 0.15, 0.1])[0]
    body = {"none": b"", "json": json.dumps({"username": "nobody", "password": "pw"}).encode(),
            "smuggled": _smuggled(rng, tokens), "bytes": bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))}[body_case]
    framing = rng.choices(["length", "chunked", "none", "two-lengths", "length-and-chunked", "short-length", "bad-chunk"],
                          [0.55, 0.15, 0.1, 0.05, 0.05, 0.05, 0.05])[0]
    if body and framing == "length":
        headers.append(("Content-Length", str(len(body))))
    elif body and framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    elif framing == "two-lengths":
        headers += [("Content-Length", str(len(body))), ("Content-Length", str(len(body) + 1))]
    elif framing == "length-and-chunked":
        headers += [("Content-Length", str(len(body))), ("Transfer-Encoding", "chunked")]
    elif body and framing == "short-length":
        headers.append(("Content-Length", str(len(body) // 2)))
    elif framing == "bad-chunk":
        headers.append(("Transfer-Encoding", "chunked"))
        body = rng.choice([b"zz\r\n", b"5\nhello\n0\n\n", b"ffffffffff\r\n", b"2\r\nabc\r\n"]) + body
    rng.shuffle(headers)
    stream.description.append(f"{method} {target} {version} token={token_case} body={body_case} framing={framing}")
    stream.methods.append(method)
    stream.tokens.update(value.removeprefix("Bearer ").strip() for name, value in headers
                         if name.lower() in ("x-access-token", "authorization"))
    head = f"{method} {target} {version}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    return head.encode("latin-1") + body


def streams(seed: int, count: int, tokens: Tokens) -> list[Stream]:
    """COUNT streams from SEED: the same ones every run."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        stream = Stream(b"", None, rng.random() < 0.95)
        data = b"".join(_request(rng, tokens, stream) for _ in range(rng.choices([1, 2, 3], [0.6, 0.25, 0.15])[0]))
        if rng.random() < 0.05:
            data += b"GET /api/te"  # half a head behind the rest
        stream.data = data
        stream.cut = rng.randrange(1, len(data)) if rng.random() < 0.3 else None
        made.append(stream)
    return made
